public import Foundation

/// Where the state lives: an SQLite file (the default, one process) or a PostgreSQL URL (replicas).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else is an SQLite file path
    /// (`sqlite:` prefix optional).
    public init(_ text: String) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            self = .sqlite(path: text.hasPrefix("sqlite:") ? String(text.dropFirst("sqlite:".count)) : text)
        }
    }

    /// Opens the store and migrates its schema.
    public func open() async throws -> any StateStore {
        let store: any StateStore
        switch self {
        case .sqlite(let path): store = try SQLiteStore(path: path)
        case .postgres(let url): store = try PostgresStore(url: url)
        }
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// Without the password, for logs.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres" }
            if components.password != nil { components.password = "***" }
            return components.string ?? "postgres"
        }
    }
}
