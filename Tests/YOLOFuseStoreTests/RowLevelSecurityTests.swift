import Foundation
import Logging
import PostgresNIO
import Testing
import YOLOFuseStore

/// The database itself keeps tenants apart: a query through the service's own role that forgets its tenant
/// filter returns only the rows of the tenant set on the transaction, and nothing when none is set.
@Suite("PostgreSQL row-level security")
struct RowLevelSecurityTests {
    let logger = Logger(label: "test")

    @Test func queriesWithoutTenantFilterSeeOnlyTheScopedTenant() async throws {
        let store = try await Backend.postgres.open()
        let a = Tenant(name: "rls-a"), b = Tenant(name: "rls-b")
        try await store.createTenant(a)
        try await store.createTenant(b)
        for tenant in [a, b] {
            _ = try await store.insertModelVersion(ModelVersionRecord(tenantID: tenant.id, name: "m", version: 0, blobKey: "k",
                                                                      sizeBytes: 1, sha256: "s"))
            _ = try await store.recordUsage(UsageEvent(requestID: "r", tenantID: tenant.id, keyID: "k", modelVersion: "default",
                                                       images: 1, inferenceMilliseconds: 1, status: 200))
        }
        await store.close()

        let components = try #require(URLComponents(string: Backend.postgresURL))
        let configuration = PostgresClient.Configuration(
            host: components.host!, port: components.port ?? 5432, username: components.user!, password: components.password,
            database: String(components.path.dropFirst()), tls: .disable)
        let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "test"))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            for table in ["model_versions", "model_activations", "usage_events", "api_keys", "tenants"] {
                let unscoped = try await count(client, table: table, tenant: nil)
                #expect(unscoped == 0, "\(table) without a tenant")
            }
            let tenantsSeen = try await tenantIDs(client, table: "model_versions", tenant: a.id)
            #expect(tenantsSeen == [a.id])
            let usageSeen = try await tenantIDs(client, table: "usage_events", tenant: b.id)
            #expect(usageSeen == [b.id])
            // Writing a row for another tenant is refused by the policy's check.
            await #expect(throws: (any Error).self) {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query("SELECT set_config('yolofuse.tenant_id', \(a.id.uuidString.lowercased()), true)", logger: logger)
                    try await connection.query("""
                        INSERT INTO usage_events VALUES (\(b.id), 'forged', 'k', 'default', 1, 1, 200, 0)
                        """, logger: logger)
                }
            }
        }
    }

    private func count(_ client: PostgresClient, table: String, tenant: UUID?) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            if let tenant { try await connection.query("SELECT set_config('yolofuse.tenant_id', \(tenant.uuidString.lowercased()), true)") }
            let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*)::bigint FROM \(table)"), logger: logger)
            for try await n in rows.decode(Int.self) { return n }
            return -1
        }
    }

    private func tenantIDs(_ client: PostgresClient, table: String, tenant: UUID) async throws -> Set<UUID> {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT set_config('yolofuse.tenant_id', \(tenant.uuidString.lowercased()), true)", logger: logger)
            var seen = Set<UUID>()
            for try await id in try await connection.query(PostgresQuery(unsafeSQL: "SELECT tenant_id FROM \(table)"), logger: logger).decode(UUID.self) {
                seen.insert(id)
            }
            return seen
        }
    }
}
