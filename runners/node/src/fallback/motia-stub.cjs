'use strict';
// Stand-in for the 'motia' package when the project cannot resolve it (no
// node_modules). Step files import types from 'motia' (ApiRouteConfig,
// Handlers, ...); those imports are normally erased by the TypeScript
// transform, but with `verbatimModuleSyntax`/`preserveValueImports`, or from
// JavaScript, they reach the runtime. Each name exists (as undefined) so named
// imports succeed; `exports.X =` keeps them visible to ESM importers.
exports.ApiRouteConfig = undefined;
exports.ApiMiddleware = undefined;
exports.ApiRequest = undefined;
exports.ApiResponse = undefined;
exports.ApiRouteHandler = undefined;
exports.EventConfig = undefined;
exports.EventHandler = undefined;
exports.CronConfig = undefined;
exports.CronHandler = undefined;
exports.NoopConfig = undefined;
exports.StepConfig = undefined;
exports.StepHandler = undefined;
exports.StreamConfig = undefined;
exports.Handlers = undefined;
exports.FlowContext = undefined;
exports.FlowContextStateStreams = undefined;
exports.Emitter = undefined;
exports.Emit = undefined;
exports.Logger = undefined;
exports.InternalStateManager = undefined;
exports.MotiaStream = undefined;
exports.BaseStreamItem = undefined;
exports.StateStreamEvent = undefined;
exports.StateStreamEventChannel = undefined;
exports.QueryParam = undefined;
// The one runtime value a Node Motia project imports: motia.config.ts's `config(...)` (alias
// `defineConfig`), the identity function that types its argument.
exports.config = (config) => config;
exports.defineConfig = exports.config;
exports.__motiaRunnerStub = true;
