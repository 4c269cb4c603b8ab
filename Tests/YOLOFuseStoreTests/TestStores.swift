import Foundation
import YOLOFuseStore

/// The backends every repository test runs against. PostgreSQL is the real server `scripts/test-postgres.sh`
/// starts (or the one YOLOFUSE_TEST_POSTGRES_URL names); a test fails, rather than skips, when it is not there.
enum Backend: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres
    var description: String { rawValue }

    static var postgresURL: String {
        ProcessInfo.processInfo.environment["YOLOFUSE_TEST_POSTGRES_URL"]
            ?? "postgres://yolofuse:yolofuse@127.0.0.1:54329/yolofuse_test?sslmode=disable"
    }

    /// A migrated store; SQLite gets a fresh file, PostgreSQL the shared test database (tests use fresh ids).
    func open() async throws -> any StateStore {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("yolofuse-store-\(UUID().uuidString)")
            return try await StoreLocation.sqlite(path: folder.appendingPathComponent("state.db").path).open()
        case .postgres:
            return try await StoreLocation.postgres(url: Self.postgresURL).open()
        }
    }
}

/// Opens a store, runs `body`, closes it.
func withStore(_ backend: Backend, _ body: (any StateStore) async throws -> Void) async throws {
    let store = try await backend.open()
    do {
        try await body(store)
    } catch {
        await store.close()
        throw error
    }
    await store.close()
}
