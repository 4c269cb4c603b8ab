import Foundation
import YOLOFuseStore

/// /v1/admin: tenants and their keys. The auth middleware has already checked the admin key.
extension APIService {
    func createTenant(_ input: Operations.CreateTenant.Input) async throws -> Operations.CreateTenant.Output {
        try Principal.requireAdmin()
        guard case .json(let body) = input.body else { throw APIError(.badRequest, "send JSON") }
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw APIError(.unprocessable, "name must be 1 to 100 characters", field: "name") }
        let tenant = Tenant(name: name)
        try await store.createTenant(tenant)
        return .created(.init(body: .json(Payloads.tenant(tenant))))
    }

    func listTenants(_ input: Operations.ListTenants.Input) async throws -> Operations.ListTenants.Output {
        try Principal.requireAdmin()
        return .ok(.init(body: .json(.init(tenants: try await store.tenants().map(Payloads.tenant)))))
    }

    func getTenant(_ input: Operations.GetTenant.Input) async throws -> Operations.GetTenant.Output {
        try Principal.requireAdmin()
        return .ok(.init(body: .json(Payloads.tenant(try await existingTenant(input.path.tenantId)))))
    }

    func updateTenant(_ input: Operations.UpdateTenant.Input) async throws -> Operations.UpdateTenant.Output {
        try Principal.requireAdmin()
        guard case .json(let body) = input.body else { throw APIError(.badRequest, "send JSON") }
        let id = try await existingTenant(input.path.tenantId).id
        let status: Tenant.Status = body.status == .suspended ? .suspended : .active
        guard try await store.setTenantStatus(id, status) else { throw APIError.notFound("tenant") }
        authenticator.forgetAll()
        return .ok(.init(body: .json(Payloads.tenant(try await existingTenant(input.path.tenantId)))))
    }

    func deleteTenant(_ input: Operations.DeleteTenant.Input) async throws -> Operations.DeleteTenant.Output {
        try Principal.requireAdmin()
        let tenant = try await existingTenant(input.path.tenantId)
        let versions = try await store.modelVersions(tenant: tenant.id)
        guard try await store.deleteTenant(tenant.id) else { throw APIError.notFound("tenant") }
        authenticator.forgetAll()
        for version in versions {
            await models.registry.remove(version.id.uuidString.lowercased())
            models.deleteFiles(version.blobKey)
        }
        return .noContent(.init())
    }

    func createKey(_ input: Operations.CreateKey.Input) async throws -> Operations.CreateKey.Output {
        try Principal.requireAdmin()
        let tenant = try await existingTenant(input.path.tenantId)
        var name = "key"
        if case .json(let body)? = input.body, let given = body.name { name = given }
        guard (1...100).contains(name.count) else { throw APIError(.unprocessable, "name must be 1 to 100 characters", field: "name") }
        let generated = APIKey.generate()
        let record = APIKeyRecord(id: generated.id, tenantID: tenant.id, name: name, hash: generated.hash)
        try await store.insertKey(record)
        return .created(.init(body: .json(.init(id: record.id, name: record.name, createdAt: record.createdAt, key: generated.key))))
    }

    func listKeys(_ input: Operations.ListKeys.Input) async throws -> Operations.ListKeys.Output {
        try Principal.requireAdmin()
        let tenant = try await existingTenant(input.path.tenantId)
        let keys = try await store.keys(tenant: tenant.id).map { key in
            Components.Schemas.Key(id: key.id, name: key.name, createdAt: key.createdAt, revokedAt: key.revokedAt)
        }
        return .ok(.init(body: .json(.init(keys: keys))))
    }

    func revokeKey(_ input: Operations.RevokeKey.Input) async throws -> Operations.RevokeKey.Output {
        try Principal.requireAdmin()
        let tenant = try await existingTenant(input.path.tenantId)
        guard try await store.revokeKey(tenant: tenant.id, keyID: input.path.keyId, at: Date()) else { throw APIError.notFound("key") }
        authenticator.forget(keyID: input.path.keyId)
        return .noContent(.init())
    }

    private func existingTenant(_ text: String) async throws -> Tenant {
        guard let id = UUID(uuidString: text), let tenant = try await store.tenant(id) else { throw APIError.notFound("tenant") }
        return tenant
    }
}
