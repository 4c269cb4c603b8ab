import Foundation
import Testing
import YOLOFuseStore

@Suite("State store on SQLite and PostgreSQL")
struct StateStoreTests {
    @Test(arguments: Backend.allCases)
    func migrationIsIdempotent(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.migrate()
            try await store.migrate()
            try await store.ping()
        }
    }

    @Test(arguments: Backend.allCases)
    func tenantLifecycle(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let tenant = Tenant(name: "acme-\(UUID())", createdAt: Date(timeIntervalSince1970: 1_700_000_000.25))
            try await store.createTenant(tenant)
            #expect(try await store.tenant(tenant.id) == tenant)
            #expect(try await store.tenants().contains(tenant))
            #expect(try await store.setTenantStatus(tenant.id, .suspended))
            #expect(try await store.tenant(tenant.id)?.status == .suspended)
            #expect(try await store.setTenantStatus(UUID(), .suspended) == false)
            await #expect(throws: StoreError.self) { try await store.createTenant(tenant) }
            #expect(try await store.deleteTenant(tenant.id))
            #expect(try await store.tenant(tenant.id) == nil)
            #expect(try await store.deleteTenant(tenant.id) == false)
        }
    }

    @Test(arguments: Backend.allCases)
    func keysAreScopedToTheirTenantAndRevocable(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let a = Tenant(name: "a"), b = Tenant(name: "b")
            try await store.createTenant(a)
            try await store.createTenant(b)
            let key = APIKeyRecord(id: "k\(UUID().uuidString.prefix(8))", tenantID: a.id, name: "ci", hash: Data(repeating: 7, count: 32))
            try await store.insertKey(key)
            let credential = try #require(try await store.credential(keyID: key.id))
            #expect(credential.key.hash == key.hash)
            #expect(credential.key.tenantID == a.id)
            #expect(credential.tenantStatus == .active)
            #expect(try await store.keys(tenant: a.id).map(\.id) == [key.id])
            #expect(try await store.keys(tenant: b.id).isEmpty)
            // Another tenant cannot revoke it.
            #expect(try await store.revokeKey(tenant: b.id, keyID: key.id, at: Date()) == false)
            #expect(try await store.credential(keyID: key.id)?.key.revokedAt == nil)
            #expect(try await store.revokeKey(tenant: a.id, keyID: key.id, at: Date(timeIntervalSince1970: 1_800_000_000)))
            #expect(try await store.credential(keyID: key.id)?.key.revokedAt == Date(timeIntervalSince1970: 1_800_000_000))
            _ = try await store.setTenantStatus(a.id, .suspended)
            #expect(try await store.credential(keyID: key.id)?.tenantStatus == .suspended)
            // Deleting the tenant deletes its keys.
            _ = try await store.deleteTenant(a.id)
            #expect(try await store.credential(keyID: key.id) == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func modelVersionsNumberActivateAndRollBack(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let tenant = Tenant(name: "models")
            let other = Tenant(name: "other")
            try await store.createTenant(tenant)
            try await store.createTenant(other)
            func upload(_ name: String) async throws -> ModelVersionRecord {
                try await store.insertModelVersion(ModelVersionRecord(tenantID: tenant.id, name: name, version: 0, blobKey: "b/\(UUID())",
                                                                      sizeBytes: 10, sha256: "ab", manifestJSON: #"{"names":["x"]}"#,
                                                                      createdAt: Date(timeIntervalSince1970: 1_700_000_000.5)))
            }
            let v1 = try await upload("det"), v2 = try await upload("det"), w1 = try await upload("other")
            #expect([v1.version, v2.version, w1.version] == [Int]([1, 2, 1]))
            #expect(try await store.modelVersion(tenant: tenant.id, id: v1.id) == v1)
            #expect(try await store.modelVersion(tenant: other.id, id: v1.id) == nil)
            #expect(try await store.modelVersions(tenant: other.id).isEmpty)

            try await store.setModelState(tenant: tenant.id, id: v1.id, state: .ready, failure: nil)
            try await store.setModelState(tenant: tenant.id, id: v2.id, state: .ready, failure: nil)
            try await store.setModelState(tenant: tenant.id, id: w1.id, state: .failed, failure: "bad graph")
            #expect(try await store.modelVersion(tenant: tenant.id, id: w1.id)?.failure == "bad graph")

            #expect(try await store.activeModelVersion(tenant: tenant.id) == nil)
            #expect(try await store.activateModelVersion(tenant: tenant.id, id: v1.id, at: Date(timeIntervalSince1970: 100)))
            #expect(try await store.activateModelVersion(tenant: tenant.id, id: v2.id, at: Date(timeIntervalSince1970: 200)))
            #expect(try await store.activeModelVersion(tenant: tenant.id)?.id == v2.id)
            #expect(try await store.modelVersions(tenant: tenant.id).filter(\.active).count == 1)
            let v3 = try await upload("det")
            try await store.setModelState(tenant: tenant.id, id: v3.id, state: .ready, failure: nil)
            #expect(try await store.activateModelVersion(tenant: tenant.id, id: v3.id, at: Date(timeIntervalSince1970: 300)))
            // Roll back pops the activation history: v3 → v2 → v1 → default, then nothing is left.
            #expect(try await store.rollBack(tenant: tenant.id, at: Date(timeIntervalSince1970: 400))?.id == v2.id)
            #expect(try await store.rollBack(tenant: tenant.id, at: Date(timeIntervalSince1970: 500))?.id == v1.id)
            #expect(try await store.rollBack(tenant: tenant.id, at: Date(timeIntervalSince1970: 600)) == nil)
            #expect(try await store.activeModelVersion(tenant: tenant.id) == nil)
            await #expect(throws: StoreError.self) { try await store.rollBack(tenant: tenant.id, at: Date()) }
            // Re-activations are history too: v1, v2, v1 rolls back to v2, then v1, then the default.
            #expect(try await store.activateModelVersion(tenant: tenant.id, id: v1.id, at: Date(timeIntervalSince1970: 610)))
            #expect(try await store.activateModelVersion(tenant: tenant.id, id: v2.id, at: Date(timeIntervalSince1970: 620)))
            #expect(try await store.activateModelVersion(tenant: tenant.id, id: v1.id, at: Date(timeIntervalSince1970: 630)))
            #expect(try await store.rollBack(tenant: tenant.id, at: Date(timeIntervalSince1970: 640))?.id == v2.id)
            #expect(try await store.rollBack(tenant: tenant.id, at: Date(timeIntervalSince1970: 650))?.id == v1.id)
            #expect(try await store.rollBack(tenant: tenant.id, at: Date(timeIntervalSince1970: 660)) == nil)
            // A deleted version drops out of the history.
            #expect(try await store.activateModelVersion(tenant: tenant.id, id: v3.id, at: Date(timeIntervalSince1970: 670)))
            #expect(try await store.activateModelVersion(tenant: tenant.id, id: v1.id, at: Date(timeIntervalSince1970: 680)))
            #expect(try await store.deleteModelVersion(tenant: tenant.id, id: v3.id))
            #expect(try await store.rollBack(tenant: tenant.id, at: Date(timeIntervalSince1970: 690)) == nil)
            #expect(try await store.activateModelVersion(tenant: tenant.id, id: v2.id, at: Date(timeIntervalSince1970: 700)))
            // Another tenant cannot activate or delete it.
            #expect(try await store.activateModelVersion(tenant: other.id, id: v1.id, at: Date()) == false)
            #expect(try await store.deleteModelVersion(tenant: other.id, id: v1.id) == false)
            #expect(try await store.activeModelVersion(tenant: tenant.id)?.id == v2.id)

            #expect(try await store.deactivateModels(tenant: tenant.id))
            #expect(try await store.activeModelVersion(tenant: tenant.id) == nil)
            #expect(try await store.deleteModelVersion(tenant: tenant.id, id: v1.id))
            #expect(try await store.modelVersions(tenant: tenant.id).map(\.id) == [v2.id, w1.id])
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentUploadsGetDistinctVersions(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let tenant = Tenant(name: "race")
            try await store.createTenant(tenant)
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await store.insertModelVersion(ModelVersionRecord(tenantID: tenant.id, name: "m", version: 0, blobKey: "k",
                                                                              sizeBytes: 1, sha256: "s")).version
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(versions.sorted() == Array(1...8))
        }
    }

    @Test(arguments: Backend.allCases)
    func usageIsCountedOncePerRequest(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let tenant = Tenant(name: "usage"), other = Tenant(name: "usage-other")
            try await store.createTenant(tenant)
            try await store.createTenant(other)
            let start = Date(timeIntervalSince1970: 1_000)
            let event = UsageEvent(requestID: "r1", tenantID: tenant.id, keyID: "k", modelVersion: "default", images: 2,
                                   inferenceMilliseconds: 12.5, status: 200, at: start)
            #expect(try await store.recordUsage(event))
            #expect(try await store.recordUsage(event) == false)
            // The same request id under another tenant is another event.
            var theirs = event
            theirs.tenantID = other.id
            #expect(try await store.recordUsage(theirs))
            var failed = event
            failed.requestID = "r2"
            failed.status = 422
            failed.images = 1
            failed.inferenceMilliseconds = 0
            #expect(try await store.recordUsage(failed))
            let summary = try await store.usageSummary(tenant: tenant.id, since: start)
            #expect(summary == UsageSummary(calls: 2, successfulCalls: 1, images: 3, inferenceMilliseconds: 12.5))
            #expect(try await store.usageSummary(tenant: tenant.id, since: start.addingTimeInterval(1)).calls == 0)
            // Usage stays after the tenant is deleted: billing still needs it.
            _ = try await store.deleteTenant(tenant.id)
            #expect(try await store.usageSummary(tenant: tenant.id, since: start).calls == 2)
        }
    }
}
