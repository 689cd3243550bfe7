// types.d.ts
// Types for the `motia` imports of steps/typescript. Motia generates this file (`motia generate-types`);
// this project has no `motia` package (the node runner supplies a runtime stand-in), so the API surface
// the steps use is declared here by hand, followed by the project's own handlers and streams.
declare module 'motia' {
  export type Meta = Record<string, unknown>

  export interface Logger {
    info(message: string, meta?: Meta): void
    warn(message: string, meta?: Meta): void
    error(message: string, meta?: Meta): void
    debug(message: string, meta?: Meta): void
  }

  export interface InternalStateManager {
    get<T>(groupId: string, key: string): Promise<T | null>
    set<T>(groupId: string, key: string, value: T): Promise<T>
    delete<T>(groupId: string, key: string): Promise<T | null>
    getGroup<T>(groupId: string): Promise<T[]>
    clear(groupId: string): Promise<void>
  }

  export type BaseStreamItem<T> = T & { id: string }

  export interface MotiaStream<T> {
    get(groupId: string, id: string): Promise<BaseStreamItem<T> | null>
    set(groupId: string, id: string, data: T): Promise<BaseStreamItem<T>>
    delete(groupId: string, id: string): Promise<BaseStreamItem<T> | null>
    getGroup(groupId: string): Promise<BaseStreamItem<T>[]>
    send(channel: { groupId: string; id?: string }, event: { type: string; data?: unknown }): Promise<void>
  }

  export interface Emit {
    topic: string
    data: unknown
    messageGroupId?: string
  }
  export type Emitter = (event: Emit) => Promise<void>

  export interface FlowContextStateStreams {
    petCreation: MotiaStream<PetCreationUpdate>
  }

  export interface FlowContext {
    emit: Emitter
    logger: Logger
    state: InternalStateManager
    streams: FlowContextStateStreams
    traceId: string
  }

  export interface ApiRequest<TBody = unknown> {
    pathParams: Record<string, string>
    queryParams: Record<string, string | string[]>
    body: TBody
    headers: Record<string, string | string[]>
  }

  export interface ApiResponse<TStatus extends number = number, TBody = unknown> {
    status: TStatus
    body?: TBody
    headers?: Record<string, string>
  }

  export type ApiRouteHandler<TBody = unknown> = (req: ApiRequest<TBody>, ctx: FlowContext) => Promise<ApiResponse>
  export type EventHandler<TInput> = (input: TInput, ctx: FlowContext) => Promise<void>
  export type CronHandler = (ctx: FlowContext) => Promise<void>

  type Emits = Array<string | { topic: string; label?: string; conditional?: boolean }>

  export interface ApiRouteConfig {
    type: 'api'
    name: string
    description?: string
    path: string
    method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS' | 'HEAD'
    emits: Emits
    flows?: string[]
    bodySchema?: unknown
    responseSchema?: Record<number, unknown>
  }

  export interface EventConfig {
    type: 'event'
    name: string
    description?: string
    subscribes: string[]
    emits: Emits
    input?: unknown
    flows?: string[]
  }

  export interface CronConfig {
    type: 'cron'
    name: string
    description?: string
    cron: string
    emits: Emits
    flows?: string[]
  }

  export interface StreamConfig {
    name: string
    schema: unknown
    baseConfig: { storageType: 'default' }
  }

  type PetCreationUpdate = import('./steps/typescript/pet-creation.stream').PetCreationUpdate
  type FeedingReminderEnqueued = import('./steps/typescript/set-next-feeding-reminder.job.step').FeedingReminderEnqueued
  type PetCreated = import('./steps/typescript/ai-profile-enrichment.step').PetCreated
  type LifecycleInput = import('./steps/typescript/pet-lifecycle-orchestrator.step').LifecycleInput
  type StaffActionEvent = import('./steps/typescript/pet-lifecycle').StaffActionEvent

  export interface Handlers {
    TsCreatePet: ApiRouteHandler
    TsGetPets: ApiRouteHandler
    TsGetPet: ApiRouteHandler
    TsUpdatePet: ApiRouteHandler
    TsDeletePet: ApiRouteHandler
    TsGetPetStream: ApiRouteHandler
    TsHealthReviewAgent: ApiRouteHandler
    TsAdoptionReviewAgent: ApiRouteHandler
    TsSetNextFeedingReminder: EventHandler<FeedingReminderEnqueued>
    TsAiProfileEnrichment: EventHandler<PetCreated>
    TsPetLifecycleOrchestrator: EventHandler<LifecycleInput>
    TsTreatmentScheduler: EventHandler<StaffActionEvent>
    TsRecoveryMonitor: EventHandler<StaffActionEvent>
    TsAdoptionPosting: EventHandler<StaffActionEvent>
    TsDeletionReaper: CronHandler
  }
}
