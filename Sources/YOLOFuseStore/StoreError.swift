/// Failures of the state store that callers map to answers: a conflict is the client's (409), the rest ours.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case conflict(String)
    case unavailable(String)
    case migration(String)

    public var description: String {
        switch self {
        case .conflict(let reason): "conflict: \(reason)"
        case .unavailable(let reason): "the database is unavailable: \(reason)"
        case .migration(let reason): "database migration failed: \(reason)"
        }
    }
}
