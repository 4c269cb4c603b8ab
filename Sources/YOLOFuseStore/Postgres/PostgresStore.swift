public import Foundation
public import Logging
import NIOSSL
import PostgresNIO

/// The shared store for replicas: PostgreSQL through a connection pool. Tenant-scoped calls run in a
/// transaction that first sets `yolofuse.tenant_id`, so the row-level security policies admit that tenant's
/// rows only, whatever the query's own filter says; control-plane calls set `yolofuse.scope = 'system'`.
public final class PostgresStore: StateStore {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger

    /// `url`: postgres://user:password@host:port/database[?sslmode=disable|prefer|require].
    public init(url: String, maximumConnections: Int = 8, logger: Logger = PostgresStore.defaultLogger) throws {
        client = PostgresClient(configuration: try Self.configuration(url, maximumConnections: maximumConnections), backgroundLogger: logger)
        self.logger = logger
        let client = client
        runner = Task { await client.run() }
    }

    /// Errors only: the pool warns about every lease made while its run loop is still starting.
    public static var defaultLogger: Logger {
        var logger = Logger(label: "yolofuse.postgres")
        logger.logLevel = .error
        return logger
    }

    static func configuration(_ url: String, maximumConnections: Int) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty, let user = components.user else {
            throw StoreError.unavailable("the PostgreSQL URL must look like postgres://user:password@host:port/database")
        }
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw StoreError.unavailable("sslmode must be disable, prefer or require, not \(mode)")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    public func close() async {
        runner.cancel()
        _ = await runner.result
    }

    // MARK: Transactions

    func system<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction(setting: "yolofuse.scope", to: "system", body)
    }

    func scoped<T: Sendable>(_ tenant: UUID, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction(setting: "yolofuse.tenant_id", to: tenant.key, body)
    }

    private func transaction<T: Sendable>(setting name: String, to value: String,
                                          _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT set_config(\(name), \(value), true)", logger: logger)
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            throw Self.mapped(error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch {
            throw Self.mapped(error)
        }
    }

    private static func mapped(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if let error = error as? PSQLError {
            if error.serverInfo?[.sqlState] == "23505" { return StoreError.conflict(error.serverInfo?[.message] ?? "duplicate") }
            return StoreError.unavailable(error.serverInfo?[.message] ?? "\(error.code)")
        }
        return StoreError.unavailable("\(error)")
    }

    func rows(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        var result: [PostgresRandomAccessRow] = []
        for try await row in try await connection.query(query, logger: logger) { result.append(row.makeRandomAccess()) }
        return result
    }

    // MARK: Schema

    public func migrate() async throws {
        try await system { connection in
            // One replica migrates at a time; the others wait here and then find nothing left to do.
            try await connection.query("SELECT pg_advisory_xact_lock(7215001)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at double precision NOT NULL)",
                logger: logger)
            let applied = try await rows(connection, "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")[0]["v"].decode(Int.self)
            guard applied <= Schema.postgres.count else {
                throw StoreError.migration("the database is at schema \(applied), newer than this binary's \(Schema.postgres.count)")
            }
            for (index, statements) in Schema.postgres.enumerated() where index + 1 > applied {
                for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO schema_migrations VALUES (\(index + 1), \(Date().timeIntervalSince1970))", logger: logger)
            }
        }
    }

    public func ping() async throws {
        _ = try await system { connection in try await rows(connection, "SELECT 1 AS one").count }
    }

    // MARK: Tenants

    public func createTenant(_ tenant: Tenant) async throws {
        try await system { connection in
            try await connection.query("""
                INSERT INTO tenants (id, name, status, created_at)
                VALUES (\(tenant.id), \(tenant.name), \(tenant.status.rawValue), \(tenant.createdAt.timeIntervalSince1970))
                """, logger: logger)
        }
    }

    public func tenant(_ id: UUID) async throws -> Tenant? {
        try await system { connection in try await rows(connection, "SELECT * FROM tenants WHERE id = \(id)").first.map(Self.tenant) }
    }

    public func tenants() async throws -> [Tenant] {
        try await system { connection in try await rows(connection, "SELECT * FROM tenants ORDER BY created_at, id").map(Self.tenant) }
    }

    public func setTenantStatus(_ id: UUID, _ status: Tenant.Status) async throws -> Bool {
        try await system { connection in
            try await !rows(connection, "UPDATE tenants SET status = \(status.rawValue) WHERE id = \(id) RETURNING id").isEmpty
        }
    }

    public func deleteTenant(_ id: UUID) async throws -> Bool {
        try await system { connection in try await !rows(connection, "DELETE FROM tenants WHERE id = \(id) RETURNING id").isEmpty }
    }

    // MARK: Keys

    public func insertKey(_ key: APIKeyRecord) async throws {
        try await scoped(key.tenantID) { connection in
            try await connection.query("""
                INSERT INTO api_keys (id, tenant_id, name, hash, created_at, revoked_at)
                VALUES (\(key.id), \(key.tenantID), \(key.name), \(key.hash), \(key.createdAt.timeIntervalSince1970),
                        \(key.revokedAt?.timeIntervalSince1970))
                """, logger: logger)
        }
    }

    public func credential(keyID: String) async throws -> KeyCredential? {
        try await system { connection in
            try await rows(connection, """
                SELECT k.*, t.status AS tenant_status FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.id = \(keyID)
                """).first.map { row in
                KeyCredential(key: try Self.key(row),
                              tenantStatus: Tenant.Status(rawValue: try row["tenant_status"].decode(String.self)) ?? .suspended)
            }
        }
    }

    public func keys(tenant: UUID) async throws -> [APIKeyRecord] {
        try await scoped(tenant) { connection in
            try await rows(connection, "SELECT * FROM api_keys WHERE tenant_id = \(tenant) ORDER BY created_at, id").map(Self.key)
        }
    }

    public func revokeKey(tenant: UUID, keyID: String, at: Date) async throws -> Bool {
        try await scoped(tenant) { connection in
            try await !rows(connection, """
                UPDATE api_keys SET revoked_at = COALESCE(revoked_at, \(at.timeIntervalSince1970))
                WHERE tenant_id = \(tenant) AND id = \(keyID) RETURNING id
                """).isEmpty
        }
    }

    // MARK: Model versions

    public func insertModelVersion(_ record: ModelVersionRecord) async throws -> ModelVersionRecord {
        try await scoped(record.tenantID) { connection in
            var record = record
            // Numbering is per tenant and name; the lock keeps two concurrent uploads from taking one number.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(record.tenantID.key + "/" + record.name)))", logger: logger)
            record.version = try await rows(connection, """
                SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE tenant_id = \(record.tenantID) AND name = \(record.name)
                """)[0]["v"].decode(Int.self)
            try await connection.query("""
                INSERT INTO model_versions (id, tenant_id, name, version, state, failure, blob_key, size_bytes, sha256,
                  manifest_json, active, activated_at, created_at)
                VALUES (\(record.id), \(record.tenantID), \(record.name), \(record.version), \(record.state.rawValue), \(record.failure),
                        \(record.blobKey), \(record.sizeBytes), \(record.sha256), \(record.manifestJSON), \(record.active),
                        \(record.activatedAt?.timeIntervalSince1970), \(record.createdAt.timeIntervalSince1970))
                """, logger: logger)
            return record
        }
    }

    public func setModelState(tenant: UUID, id: UUID, state: ModelVersionRecord.State, failure: String?) async throws {
        try await scoped(tenant) { connection in
            try await connection.query("""
                UPDATE model_versions SET state = \(state.rawValue), failure = \(failure) WHERE tenant_id = \(tenant) AND id = \(id)
                """, logger: logger)
        }
    }

    public func modelVersions(tenant: UUID) async throws -> [ModelVersionRecord] {
        try await scoped(tenant) { connection in
            try await rows(connection, "SELECT * FROM model_versions WHERE tenant_id = \(tenant) ORDER BY created_at, name, version").map(Self.modelVersion)
        }
    }

    public func modelVersion(tenant: UUID, id: UUID) async throws -> ModelVersionRecord? {
        try await scoped(tenant) { connection in
            try await rows(connection, "SELECT * FROM model_versions WHERE tenant_id = \(tenant) AND id = \(id)").first.map(Self.modelVersion)
        }
    }

    public func activeModelVersion(tenant: UUID) async throws -> ModelVersionRecord? {
        try await scoped(tenant) { connection in
            try await rows(connection, "SELECT * FROM model_versions WHERE tenant_id = \(tenant) AND active").first.map(Self.modelVersion)
        }
    }

    public func activateModelVersion(tenant: UUID, id: UUID, at: Date) async throws -> Bool {
        try await scoped(tenant) { connection in
            guard try await !rows(connection, "SELECT id FROM model_versions WHERE tenant_id = \(tenant) AND id = \(id) FOR UPDATE").isEmpty else {
                return false
            }
            try await connection.query("UPDATE model_versions SET active = false WHERE tenant_id = \(tenant) AND active", logger: logger)
            try await connection.query("""
                UPDATE model_versions SET active = true, activated_at = \(at.timeIntervalSince1970) WHERE tenant_id = \(tenant) AND id = \(id)
                """, logger: logger)
            try await connection.query("""
                INSERT INTO model_activations (tenant_id, version_id, at) VALUES (\(tenant), \(id), \(at.timeIntervalSince1970))
                """, logger: logger)
            return true
        }
    }

    public func deactivateModels(tenant: UUID) async throws -> Bool {
        try await scoped(tenant) { connection in
            try await !rows(connection, "UPDATE model_versions SET active = false WHERE tenant_id = \(tenant) AND active RETURNING id").isEmpty
        }
    }

    public func rollBack(tenant: UUID, at: Date) async throws -> ModelVersionRecord? {
        try await scoped(tenant) { connection in
            guard let current = try await rows(connection, """
                SELECT id FROM model_versions WHERE tenant_id = \(tenant) AND active FOR UPDATE
                """).first?["id"].decode(UUID.self) else {
                throw StoreError.conflict("the default model is serving; there is nothing to roll back")
            }
            try await connection.query("UPDATE model_versions SET active = false WHERE id = \(current)", logger: logger)
            // Pop the current activation, then any entries for it just below (activated twice in a row).
            while let top = try await rows(connection, """
                SELECT a.seq, a.version_id, v.state FROM model_activations a JOIN model_versions v ON v.id = a.version_id
                WHERE a.tenant_id = \(tenant) ORDER BY a.seq DESC LIMIT 1
                """).first {
                let seq = try top["seq"].decode(Int.self), version = try top["version_id"].decode(UUID.self)
                let state = try top["state"].decode(String.self)
                if version == current || state != ModelVersionRecord.State.ready.rawValue {
                    try await connection.query("DELETE FROM model_activations WHERE seq = \(seq)", logger: logger)
                    continue
                }
                return try await rows(connection, """
                    UPDATE model_versions SET active = true, activated_at = \(at.timeIntervalSince1970) WHERE id = \(version) RETURNING *
                    """).first.map(Self.modelVersion)
            }
            return nil
        }
    }

    public func deleteModelVersion(tenant: UUID, id: UUID) async throws -> Bool {
        try await scoped(tenant) { connection in
            try await !rows(connection, "DELETE FROM model_versions WHERE tenant_id = \(tenant) AND id = \(id) RETURNING id").isEmpty
        }
    }

    // MARK: Usage

    public func recordUsage(_ event: UsageEvent) async throws -> Bool {
        try await scoped(event.tenantID) { connection in
            try await !rows(connection, """
                INSERT INTO usage_events (tenant_id, request_id, key_id, model_version, images, inference_ms, status, at)
                VALUES (\(event.tenantID), \(event.requestID), \(event.keyID), \(event.modelVersion), \(event.images),
                        \(event.inferenceMilliseconds), \(event.status), \(event.at.timeIntervalSince1970))
                ON CONFLICT (tenant_id, request_id) DO NOTHING RETURNING request_id
                """).isEmpty
        }
    }

    public func usageSummary(tenant: UUID, since: Date) async throws -> UsageSummary {
        try await scoped(tenant) { connection in
            let row = try await rows(connection, """
                SELECT COUNT(*)::bigint AS calls, COUNT(*) FILTER (WHERE status < 400)::bigint AS ok,
                  COALESCE(SUM(images), 0)::bigint AS images, COALESCE(SUM(inference_ms), 0)::double precision AS ms
                FROM usage_events WHERE tenant_id = \(tenant) AND at >= \(since.timeIntervalSince1970)
                """)[0]
            return UsageSummary(calls: try row["calls"].decode(Int.self), successfulCalls: try row["ok"].decode(Int.self),
                                images: try row["images"].decode(Int.self), inferenceMilliseconds: try row["ms"].decode(Double.self))
        }
    }

    // MARK: Rows

    private static func tenant(_ row: PostgresRandomAccessRow) throws -> Tenant {
        Tenant(id: try row["id"].decode(UUID.self), name: try row["name"].decode(String.self),
               status: Tenant.Status(rawValue: try row["status"].decode(String.self)) ?? .suspended,
               createdAt: Date(timeIntervalSince1970: try row["created_at"].decode(Double.self)))
    }

    private static func key(_ row: PostgresRandomAccessRow) throws -> APIKeyRecord {
        APIKeyRecord(id: try row["id"].decode(String.self), tenantID: try row["tenant_id"].decode(UUID.self),
                     name: try row["name"].decode(String.self), hash: try row["hash"].decode(Data.self),
                     createdAt: Date(timeIntervalSince1970: try row["created_at"].decode(Double.self)),
                     revokedAt: try row["revoked_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)))
    }

    private static func modelVersion(_ row: PostgresRandomAccessRow) throws -> ModelVersionRecord {
        ModelVersionRecord(
            id: try row["id"].decode(UUID.self), tenantID: try row["tenant_id"].decode(UUID.self),
            name: try row["name"].decode(String.self), version: try row["version"].decode(Int.self),
            state: ModelVersionRecord.State(rawValue: try row["state"].decode(String.self)) ?? .failed,
            failure: try row["failure"].decode(String?.self), blobKey: try row["blob_key"].decode(String.self),
            sizeBytes: try row["size_bytes"].decode(Int.self), sha256: try row["sha256"].decode(String.self),
            manifestJSON: try row["manifest_json"].decode(String?.self), active: try row["active"].decode(Bool.self),
            activatedAt: try row["activated_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
            createdAt: Date(timeIntervalSince1970: try row["created_at"].decode(Double.self)))
    }
}
