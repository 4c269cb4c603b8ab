public import Foundation

/// The embedded store: one SQLite file (WAL, busy timeout), for `yolofuse serve` on one machine.
public final class SQLiteStore: StateStore {
    let connection: SQLiteConnection

    /// Opens (creating if needed) the database file; its folder is created too.
    public init(path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        connection = try SQLiteConnection(path: path)
    }

    public func migrate() async throws {
        try await connection.transaction { db in
            try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
            let applied = try db.execute("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")[0]["v"].int ?? 0
            guard applied <= Schema.sqlite.count else {
                throw StoreError.migration("the database is at schema \(applied), newer than this binary's \(Schema.sqlite.count)")
            }
            for (index, statements) in Schema.sqlite.enumerated() where index + 1 > applied {
                for statement in statements { try db.execute(statement) }
                try db.execute("INSERT INTO schema_migrations VALUES (?, ?)", [.integer(Int64(index + 1)), .double(Date().timeIntervalSince1970)])
            }
        }
    }

    public func ping() async throws {
        try await connection.transaction { db in _ = try db.execute("SELECT 1") }
    }

    public func close() async {}

    // MARK: Tenants

    public func createTenant(_ tenant: Tenant) async throws {
        try await connection.transaction { db in
            try db.execute("INSERT INTO tenants (id, name, status, created_at) VALUES (?, ?, ?, ?)",
                           [.text(tenant.id.key), .text(tenant.name), .text(tenant.status.rawValue), .date(tenant.createdAt)])
        }
    }

    public func tenant(_ id: UUID) async throws -> Tenant? {
        try await connection.transaction { db in
            try db.execute("SELECT * FROM tenants WHERE id = ?", [.text(id.key)]).first.map(Self.tenant)
        }
    }

    public func tenants() async throws -> [Tenant] {
        try await connection.transaction { db in try db.execute("SELECT * FROM tenants ORDER BY created_at, id").map(Self.tenant) }
    }

    public func setTenantStatus(_ id: UUID, _ status: Tenant.Status) async throws -> Bool {
        try await connection.transaction { db in
            try db.execute("UPDATE tenants SET status = ? WHERE id = ?", [.text(status.rawValue), .text(id.key)])
            return db.changes > 0
        }
    }

    public func deleteTenant(_ id: UUID) async throws -> Bool {
        try await connection.transaction { db in
            try db.execute("DELETE FROM tenants WHERE id = ?", [.text(id.key)])
            return db.changes > 0
        }
    }

    // MARK: Keys

    public func insertKey(_ key: APIKeyRecord) async throws {
        try await connection.transaction { db in
            try db.execute("INSERT INTO api_keys (id, tenant_id, name, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)",
                           [.text(key.id), .text(key.tenantID.key), .text(key.name), .blob(key.hash), .date(key.createdAt), .date(key.revokedAt)])
        }
    }

    public func credential(keyID: String) async throws -> KeyCredential? {
        try await connection.transaction { db in
            try db.execute("""
                SELECT k.*, t.status AS tenant_status FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.id = ?
                """, [.text(keyID)]).first.map { row in
                KeyCredential(key: Self.key(row), tenantStatus: Tenant.Status(rawValue: row["tenant_status"].string ?? "") ?? .suspended)
            }
        }
    }

    public func keys(tenant: UUID) async throws -> [APIKeyRecord] {
        try await connection.transaction { db in
            try db.execute("SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id", [.text(tenant.key)]).map(Self.key)
        }
    }

    public func revokeKey(tenant: UUID, keyID: String, at: Date) async throws -> Bool {
        try await connection.transaction { db in
            try db.execute("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?",
                           [.date(at), .text(tenant.key), .text(keyID)])
            return db.changes > 0
        }
    }

    // MARK: Model versions

    public func insertModelVersion(_ record: ModelVersionRecord) async throws -> ModelVersionRecord {
        try await connection.transaction { db in
            var record = record
            record.version = (try db.execute("SELECT COALESCE(MAX(version), 0) AS v FROM model_versions WHERE tenant_id = ? AND name = ?",
                                             [.text(record.tenantID.key), .text(record.name)])[0]["v"].int ?? 0) + 1
            try db.execute("""
                INSERT INTO model_versions (id, tenant_id, name, version, state, failure, blob_key, size_bytes, sha256,
                  manifest_json, active, activated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(record.id.key), .text(record.tenantID.key), .text(record.name), .integer(Int64(record.version)),
                      .text(record.state.rawValue), record.failure.map(SQLiteValue.text) ?? .null, .text(record.blobKey),
                      .integer(Int64(record.sizeBytes)), .text(record.sha256), record.manifestJSON.map(SQLiteValue.text) ?? .null,
                      .integer(record.active ? 1 : 0), .date(record.activatedAt), .date(record.createdAt)])
            return record
        }
    }

    public func setModelState(tenant: UUID, id: UUID, state: ModelVersionRecord.State, failure: String?) async throws {
        try await connection.transaction { db in
            try db.execute("UPDATE model_versions SET state = ?, failure = ? WHERE tenant_id = ? AND id = ?",
                           [.text(state.rawValue), failure.map(SQLiteValue.text) ?? .null, .text(tenant.key), .text(id.key)])
        }
    }

    public func modelVersions(tenant: UUID) async throws -> [ModelVersionRecord] {
        try await connection.transaction { db in
            try db.execute("SELECT * FROM model_versions WHERE tenant_id = ? ORDER BY created_at, name, version", [.text(tenant.key)]).map(Self.modelVersion)
        }
    }

    public func modelVersion(tenant: UUID, id: UUID) async throws -> ModelVersionRecord? {
        try await connection.transaction { db in
            try db.execute("SELECT * FROM model_versions WHERE tenant_id = ? AND id = ?", [.text(tenant.key), .text(id.key)]).first.map(Self.modelVersion)
        }
    }

    public func activeModelVersion(tenant: UUID) async throws -> ModelVersionRecord? {
        try await connection.transaction { db in
            try db.execute("SELECT * FROM model_versions WHERE tenant_id = ? AND active = 1", [.text(tenant.key)]).first.map(Self.modelVersion)
        }
    }

    public func activateModelVersion(tenant: UUID, id: UUID, at: Date) async throws -> Bool {
        try await connection.transaction { db in
            guard try !db.execute("SELECT id FROM model_versions WHERE tenant_id = ? AND id = ?", [.text(tenant.key), .text(id.key)]).isEmpty else {
                return false
            }
            try db.execute("UPDATE model_versions SET active = 0 WHERE tenant_id = ? AND active = 1", [.text(tenant.key)])
            try db.execute("UPDATE model_versions SET active = 1, activated_at = ? WHERE tenant_id = ? AND id = ?",
                           [.date(at), .text(tenant.key), .text(id.key)])
            try db.execute("INSERT INTO model_activations (tenant_id, version_id, at) VALUES (?, ?, ?)",
                           [.text(tenant.key), .text(id.key), .date(at)])
            return true
        }
    }

    public func deactivateModels(tenant: UUID) async throws -> Bool {
        try await connection.transaction { db in
            try db.execute("UPDATE model_versions SET active = 0 WHERE tenant_id = ? AND active = 1", [.text(tenant.key)])
            return db.changes > 0
        }
    }

    public func rollBack(tenant: UUID, at: Date) async throws -> ModelVersionRecord? {
        try await connection.transaction { db in
            guard let current = try db.execute("SELECT id FROM model_versions WHERE tenant_id = ? AND active = 1", [.text(tenant.key)]).first?["id"] else {
                throw StoreError.conflict("the default model is serving; there is nothing to roll back")
            }
            try db.execute("UPDATE model_versions SET active = 0 WHERE id = ?", [current])
            // Pop the current activation, then any entries for it just below (activated twice in a row).
            while let top = try db.execute("""
                SELECT a.seq, a.version_id, v.state FROM model_activations a JOIN model_versions v ON v.id = a.version_id
                WHERE a.tenant_id = ? ORDER BY a.seq DESC LIMIT 1
                """, [.text(tenant.key)]).first {
                if top["version_id"] == current || top["state"].string != ModelVersionRecord.State.ready.rawValue {
                    try db.execute("DELETE FROM model_activations WHERE seq = ?", [top["seq"]])
                    continue
                }
                try db.execute("UPDATE model_versions SET active = 1, activated_at = ? WHERE id = ?", [.date(at), top["version_id"]])
                return try db.execute("SELECT * FROM model_versions WHERE id = ?", [top["version_id"]]).first.map(Self.modelVersion)
            }
            return nil
        }
    }

    public func deleteModelVersion(tenant: UUID, id: UUID) async throws -> Bool {
        try await connection.transaction { db in
            try db.execute("DELETE FROM model_versions WHERE tenant_id = ? AND id = ?", [.text(tenant.key), .text(id.key)])
            return db.changes > 0
        }
    }

    // MARK: Usage

    public func recordUsage(_ event: UsageEvent) async throws -> Bool {
        try await connection.transaction { db in
            try db.execute("""
                INSERT INTO usage_events (tenant_id, request_id, key_id, model_version, images, inference_ms, status, at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, request_id) DO NOTHING
                """, [.text(event.tenantID.key), .text(event.requestID), .text(event.keyID), .text(event.modelVersion),
                      .integer(Int64(event.images)), .double(event.inferenceMilliseconds), .integer(Int64(event.status)), .date(event.at)])
            return db.changes > 0
        }
    }

    public func usageSummary(tenant: UUID, since: Date) async throws -> UsageSummary {
        try await connection.transaction { db in
            let row = try db.execute("""
                SELECT COUNT(*) AS calls, COALESCE(SUM(CASE WHEN status < 400 THEN 1 ELSE 0 END), 0) AS ok,
                  COALESCE(SUM(images), 0) AS images, COALESCE(SUM(inference_ms), 0.0) AS ms
                FROM usage_events WHERE tenant_id = ? AND at >= ?
                """, [.text(tenant.key), .date(since)])[0]
            return UsageSummary(calls: row["calls"].int ?? 0, successfulCalls: row["ok"].int ?? 0,
                                images: row["images"].int ?? 0, inferenceMilliseconds: row["ms"].double ?? 0)
        }
    }

    // MARK: Rows

    private static func tenant(_ row: SQLiteRow) -> Tenant {
        Tenant(id: UUID(uuidString: row["id"].string ?? "") ?? UUID(), name: row["name"].string ?? "",
               status: Tenant.Status(rawValue: row["status"].string ?? "") ?? .suspended, createdAt: row["created_at"].date ?? Date())
    }

    private static func key(_ row: SQLiteRow) -> APIKeyRecord {
        var hash = Data()
        if case .blob(let data) = row["hash"] { hash = data }
        return APIKeyRecord(id: row["id"].string ?? "", tenantID: UUID(uuidString: row["tenant_id"].string ?? "") ?? UUID(),
                            name: row["name"].string ?? "", hash: hash, createdAt: row["created_at"].date ?? Date(),
                            revokedAt: row["revoked_at"].date)
    }

    private static func modelVersion(_ row: SQLiteRow) -> ModelVersionRecord {
        ModelVersionRecord(
            id: UUID(uuidString: row["id"].string ?? "") ?? UUID(), tenantID: UUID(uuidString: row["tenant_id"].string ?? "") ?? UUID(),
            name: row["name"].string ?? "", version: row["version"].int ?? 0,
            state: ModelVersionRecord.State(rawValue: row["state"].string ?? "") ?? .failed, failure: row["failure"].string,
            blobKey: row["blob_key"].string ?? "", sizeBytes: row["size_bytes"].int ?? 0, sha256: row["sha256"].string ?? "",
            manifestJSON: row["manifest_json"].string, active: row["active"].int == 1, activatedAt: row["activated_at"].date,
            createdAt: row["created_at"].date ?? Date())
    }
}

extension UUID {
    /// The canonical lower-case text form both databases store.
    var key: String { uuidString.lowercased() }
}

extension SQLiteValue {
    static func date(_ date: Date?) -> SQLiteValue { date.map { .double($0.timeIntervalSince1970) } ?? .null }
    var date: Date? { double.map(Date.init(timeIntervalSince1970:)) }
}
