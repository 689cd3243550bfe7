declare module 'motia' {
  // The shapes of Motia 0.17's public types, so that step code type-checks without the Node `motia`
  // package. Declared here, an ambient module takes precedence over node_modules/motia when both exist.

  export type JsonSchema = { [key: string]: unknown }
  /** A zod schema (zod 3 or 4); the runner turns it into JSON Schema. */
  export type ZodInput = { readonly _zod: unknown } | { readonly _def: unknown }
  export type StepSchemaInput = ZodInput | JsonSchema

  export interface Logger {
    info(message: string, args?: unknown): void
    error(message: string, args?: unknown): void
    debug(message: string, args?: unknown): void
    warn(message: string, args?: unknown): void
    /** Above error: the supervisor keeps it as its own level (not in Motia's Logger). */
    critical(message: string, args?: unknown): void
    /** ``{ level, msg, ...fields }``: at the level named (info when none), the other fields as meta. */
    log(args: any): void
    child(meta: Record<string, unknown>): Logger
  }

  export type InternalStateManager = {
    get<T>(groupId: string, key: string): Promise<T | null>
    set<T>(groupId: string, key: string, value: T): Promise<T>
    delete<T>(groupId: string, key: string): Promise<T | null>
    getGroup<T>(groupId: string): Promise<T[]>
    clear(groupId: string): Promise<void>
  }

  export type EmitData = { topic: ''; data: unknown; messageGroupId?: string }
  export type Emitter<TData> = (event: TData) => Promise<void>

  export type StreamSubscription = { groupId: string; id?: string }
  export type StateStreamEventChannel = { groupId: string; id?: string }
  export type StateStreamEvent<TData> = { type: string; data: TData }
  export type BaseStreamItem<TData = unknown> = TData & { id: string }

  export interface MotiaStream<TData> {
    get(groupId: string, id: string): Promise<BaseStreamItem<TData> | null>
    set(groupId: string, id: string, data: TData): Promise<BaseStreamItem<TData>>
    delete(groupId: string, id: string): Promise<BaseStreamItem<TData> | null>
    getGroup(groupId: string): Promise<BaseStreamItem<TData>[]>
    send<T>(channel: StateStreamEventChannel, event: StateStreamEvent<T>): Promise<void>
  }

  export interface StreamConfig {
    name: string
    schema: StepSchemaInput
    baseConfig: { storageType: 'default' } | { storageType: 'custom'; factory: () => MotiaStream<any> }
    canAccess?: (subscription: StreamSubscription, authContext: any) => boolean | Promise<boolean>
  }

  export interface FlowContext<TEmitData = never> {
    emit: Emitter<TEmitData>
    traceId: string
    state: InternalStateManager
    logger: Logger
    streams: FlowContextStateStreams
  }

  export type Emit = string | { topic: string; label?: string; conditional?: boolean }

  export type HandlerConfig = {
    ram: number
    cpu?: number
    timeout: number
  }

  export type QueueConfig =
    | { type: 'fifo'; maxRetries: number; visibilityTimeout: number; delaySeconds: number }
    | { type: 'standard'; maxRetries: number; visibilityTimeout: number; delaySeconds: number; concurrency?: number }

  export type InfrastructureConfig = {
    handler?: Partial<HandlerConfig>
    queue?: Partial<QueueConfig>
  }

  export type EventConfig = {
    type: 'event'
    name: string
    description?: string
    subscribes: string[]
    emits: Emit[]
    virtualEmits?: Emit[]
    virtualSubscribes?: string[]
    input?: StepSchemaInput
    flows?: string[]
    includeFiles?: string[]
    infrastructure?: Partial<InfrastructureConfig>
  }

  export type NoopConfig = {
    type: 'noop'
    name: string
    description?: string
    virtualEmits: Emit[]
    virtualSubscribes: string[]
    flows?: string[]
  }

  export type CronConfig = {
    type: 'cron'
    name: string
    description?: string
    cron: string
    virtualEmits?: Emit[]
    virtualSubscribes?: string[]
    emits: Emit[]
    flows?: string[]
    includeFiles?: string[]
  }

  export type ApiRouteMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS' | 'HEAD'

  export interface QueryParam {
    name: string
    description: string
  }

  export interface ApiRequest<TBody = unknown> {
    pathParams: Record<string, string>
    queryParams: Record<string, string | string[]>
    body: TBody
    headers: Record<string, string | string[]>
    /** The request body as it arrived, unparsed. */
    rawBody: string
  }

  export type ApiResponse<TStatus extends number = number, TBody = string | Buffer | Record<string, unknown>> = {
    status: TStatus
    headers?: Record<string, string>
    body: TBody
  }

  export type ApiMiddleware<TBody = unknown, TEmitData = never, TResult = unknown> = (
    req: ApiRequest<TBody>,
    ctx: FlowContext<TEmitData>,
    next: () => Promise<ApiResponse<number, TResult>>,
  ) => Promise<ApiResponse<number, TResult>>

  export interface ApiRouteConfig {
    type: 'api'
    name: string
    description?: string
    path: string
    method: ApiRouteMethod
    emits: Emit[]
    virtualEmits?: Emit[]
    virtualSubscribes?: string[]
    flows?: string[]
    middleware?: ApiMiddleware<any, any, any>[]
    bodySchema?: StepSchemaInput
    responseSchema?: Record<number, StepSchemaInput>
    queryParams?: QueryParam[]
    includeFiles?: string[]
    /** Not in Motia: check the body against bodySchema before the handler (overrides api.validateBody). */
    validateBody?: boolean
  }

  // Motia constrains TResponseBody to ApiResponse but passes `unknown` for steps without a
  // responseSchema; without the constraint that stays valid when declaration files are checked.
  export type ApiRouteHandler<TRequestBody = unknown, TResponseBody = ApiResponse<number, unknown>, TEmitData = never> = (
    req: ApiRequest<TRequestBody>,
    ctx: FlowContext<TEmitData>,
  ) => Promise<TResponseBody>

  export type EventHandler<TInput, TEmitData> = (input: TInput, ctx: FlowContext<TEmitData>) => Promise<void>

  export type CronHandler<TEmitData = never> = (ctx: FlowContext<TEmitData>) => Promise<void>

  /** @deprecated Use `Handlers` instead. */
  export type StepHandler<T> = T extends EventConfig
    ? EventHandler<unknown, { topic: string; data: any }>
    : T extends ApiRouteConfig
      ? ApiRouteHandler<any, ApiResponse<number, any>, { topic: string; data: any }>
      : T extends CronConfig
        ? CronHandler<{ topic: string; data: any }>
        : never

  export type StepConfig = EventConfig | NoopConfig | ApiRouteConfig | CronConfig

  export type Step<TConfig extends StepConfig = StepConfig> = { filePath: string; version: string; config: TConfig }

  export type Flow = {
    name: string
    description?: string
    steps: Step[]
  }

  export type StreamAuthRequest = {
    headers: Record<string, string | string[] | undefined>
    url?: string
  }

  export type StreamAuthConfig = {
    contextSchema: JsonSchema
    authenticate: (request: StreamAuthRequest) => Promise<unknown> | unknown
  }

  export type RedisConfig =
    | { useMemoryServer?: false; host: string; port: number; password?: string; username?: string; db?: number }
    | { useMemoryServer: true }

  /** The default export of motia.config.ts (only `streamAuth` is honoured). */
  export type Config = {
    app?: (app: any) => void
    plugins?: any[]
    adapters?: Record<string, unknown>
    streamAuth?: StreamAuthConfig
    redis?: RedisConfig
  }
  export function config(config: Config): Config
  export function defineConfig(config: Config): Config

  //@generated-interfaces
}
