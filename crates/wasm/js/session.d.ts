// Type declarations of `edge-jwt/session`: the same classes as the root entry's.
export {
  Session, DpopKey, JwtError,
  type SessionOptions, type TokenResponse, type StorageLike, type DpopKeyOptions, type JwtErrorCode,
} from 'edge-jwt';
import { JwtError } from 'edge-jwt';

/** A session that has ended was asked for a token (`ERR_SESSION_ENDED`). */
export class SessionEnded extends JwtError { static readonly code: 'ERR_SESSION_ENDED'; }
/** The issuer answered a refresh with an error without a code of its own (`ERR_REFRESH_FAILED`). */
export class RefreshFailed extends JwtError { static readonly code: 'ERR_REFRESH_FAILED'; }
/** The issuer could not be told of a logout (`ERR_REVOKE_FAILED`); `retry()` tries again. */
export class RevokeFailed extends JwtError { static readonly code: 'ERR_REVOKE_FAILED'; }
