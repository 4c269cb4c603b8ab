import Foundation
import YOLOFuseStore

/// /v1/models: a tenant's own model versions. Another tenant's ids answer 404, like ids that do not exist.
extension APIService {
    func uploadModel(_ input: Operations.UploadModel.Input) async throws -> Operations.UploadModel.Output {
        let caller = try Principal.tenant()
        let id = UUID()
        let blobKey = ModelUpload.blobKey(tenant: caller.id, version: id)
        let upload = try await ModelUpload.read(input.body, into: blobKey, blobs: models.blobs, limit: configuration.maxModelBytes)
        let record = try await models.register(tenant: caller.id, id: id, name: upload.name, blobKey: blobKey, written: upload.written!,
                                               manifestJSON: upload.manifestJSON, activate: upload.activate)
        return .created(.init(body: .json(Payloads.modelVersion(record, manifest: await models.manifest(of: record)))))
    }

    func listModels(_ input: Operations.ListModels.Input) async throws -> Operations.ListModels.Output {
        let caller = try Principal.tenant()
        var payloads: [Components.Schemas.ModelVersion] = []
        let records = try await store.modelVersions(tenant: caller.id)
        for record in records { payloads.append(Payloads.modelVersion(record, manifest: await models.manifest(of: record))) }
        let serving = records.first(where: \.active).map { $0.id.uuidString.lowercased() } ?? TenantModels.defaultKey
        return .ok(.init(body: .json(.init(models: payloads, serving: serving))))
    }

    func getModel(_ input: Operations.GetModel.Input) async throws -> Operations.GetModel.Output {
        let record = try await ownModel(input.path.modelId)
        return .ok(.init(body: .json(Payloads.modelVersion(record, manifest: await models.manifest(of: record)))))
    }

    func activateModel(_ input: Operations.ActivateModel.Input) async throws -> Operations.ActivateModel.Output {
        let record = try await ownModel(input.path.modelId)
        guard record.state == .ready else { throw APIError(.conflict, "version \(record.version) is \(record.state.rawValue); only ready versions can serve") }
        guard try await store.activateModelVersion(tenant: record.tenantID, id: record.id, at: Date()) else { throw APIError.notFound("model") }
        return .ok(.init(body: .json(try await serving(tenant: record.tenantID))))
    }

    func rollbackModel(_ input: Operations.RollbackModel.Input) async throws -> Operations.RollbackModel.Output {
        let caller = try Principal.tenant()
        _ = try await store.rollBack(tenant: caller.id, at: Date())
        return .ok(.init(body: .json(try await serving(tenant: caller.id))))
    }

    func deleteModel(_ input: Operations.DeleteModel.Input) async throws -> Operations.DeleteModel.Output {
        let record = try await ownModel(input.path.modelId)
        guard !record.active else { throw APIError(.conflict, "version \(record.version) is serving; activate another or roll back first") }
        guard try await store.deleteModelVersion(tenant: record.tenantID, id: record.id) else { throw APIError.notFound("model") }
        await models.registry.remove(record.id.uuidString.lowercased())
        models.deleteFiles(record.blobKey)
        return .noContent(.init())
    }

    private func ownModel(_ text: String) async throws -> ModelVersionRecord {
        let caller = try Principal.tenant()
        guard let id = UUID(uuidString: text), let record = try await store.modelVersion(tenant: caller.id, id: id) else {
            throw APIError.notFound("model")
        }
        return record
    }

    private func serving(tenant: UUID) async throws -> Components.Schemas.Serving {
        guard let active = try await store.activeModelVersion(tenant: tenant) else { return .init(serving: TenantModels.defaultKey) }
        return .init(serving: active.id.uuidString.lowercased(), model: Payloads.modelVersion(active, manifest: await models.manifest(of: active)))
    }
}
