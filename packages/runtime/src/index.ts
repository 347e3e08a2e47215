// Public surface of @troupe/runtime: the actor system, refs, the typed errors, the ports
// (clock, rng, transport), the failure detector and the availability model. Everything else
// is internal.

export { type ActorAddress, ActorRef, type AskOptions } from './actor/ref.js';
export {
  decideSupervision,
  defaultSupervisionPolicy,
  type SupervisionPolicy,
} from './actor/supervision.js';
export { ActorSystem, type ActorSystemOptions } from './actor/system.js';
export type {
  Actor,
  ActorContext,
  ActorFactory,
  DeferredReply,
  Signal,
  SpawnOptions,
} from './actor/types.js';
export {
  type LoadedSecret,
  loadSecret,
  SecretKey,
  type SecretLoad,
  secretBytesMin,
} from './auth/secret.js';
export {
  type AvailabilityKind,
  type AvailabilityTableRow,
  anyAvailability,
  anyReplicaAvailability,
  atLeastAvailability,
  availabilityTable,
  type BalancerTier,
  majorityAvailability,
  majorityQuorumAvailability,
  primaryBackupAvailability,
} from './availability-model.js';
export {
  defaultPhiAccrualOptions,
  PhiAccrualDetector,
  type PhiAccrualOptions,
} from './detect/phi-accrual.js';
export {
  ActorFailedError,
  ActorNotFoundError,
  ActorStoppedError,
  AuthenticationError,
  DuplicateActorError,
  EncodeError,
  InvalidMessageError,
  OverloadedError,
  PayloadTooLargeError,
  PeerUnavailableError,
  ProtocolError,
  SystemStoppedError,
  TimeoutError,
  TroupeError,
} from './errors.js';
export { defaultLimits, type RuntimeLimits } from './limits.js';
export {
  chooseLogFormat,
  componentLogger,
  createLogger,
  LogConfigError,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogLevels,
  type LogSettings,
  logSettingsFrom,
  parseLogFormat,
  parseLogLevels,
  runtimeLogComponents,
  silentLogger,
} from './log.js';
export { type BackoffPolicy, backoffDelayMs } from './time/backoff.js';
export type { Clock, TimerHandle } from './time/clock.js';
export { ManualClock } from './time/manual-clock.js';
export { createSeededRng, type Rng, systemRng } from './time/rng.js';
export { systemClock } from './time/system-clock.js';
export {
  exposureWarnings,
  isLoopbackHost,
  type ListenerExposure,
} from './transport/exposure.js';
export {
  isTlsFailure,
  listenTlsOptions,
  loadTls,
  type Pem,
  TlsConfigError,
  TlsError,
  type TlsFlagValues,
  type TlsMaterial,
  type TlsSettings,
  tlsFromFlags,
} from './transport/tls.js';
export type {
  HttpHandler,
  OutboundQueueInfo,
  PeerInfo,
  Transport,
  TransportHandler,
} from './transport/transport.js';
export { CloseCode } from './wire/close-codes.js';
export { protocolVersion } from './wire/envelope.js';
