import Foundation

/// Who is calling, as the auth middleware established it; handlers read it through `Principal.current`.
enum Principal: Sendable, Equatable {
    case admin
    case tenant(id: UUID, keyID: String)

    @TaskLocal static var current: Principal?

    /// Admin handlers call this first: the middleware's check is not the only one.
    static func requireAdmin() throws {
        guard current == .admin else { throw APIError(.unauthorized, "send the admin key as 'Authorization: Bearer KEY'") }
    }

    /// The calling tenant; handlers behind the tenant-key check can rely on it.
    static func tenant() throws -> (id: UUID, keyID: String) {
        guard case .tenant(let id, let keyID) = current else { throw APIError(.unauthorized, "send a tenant's API key") }
        return (id, keyID)
    }
}
