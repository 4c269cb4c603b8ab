import Foundation
import OpenAPIRuntime
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseStore

/// Which model serves a tenant's request, and the life of uploaded versions: stored, loaded and validated,
/// and only then made ready and active.
struct TenantModels: Sendable {
    let store: any StateStore
    let blobs: BlobStore
    let registry: ModelRegistry

    static let defaultKey = "default"

    /// Runs `body` with the model for this request: the version asked for (an id of the tenant's, or "default"),
    /// else the tenant's active version, else the bundled default. The model stays resident until `body` returns.
    func withModel<T: Sendable>(tenant: UUID, requested: String?, _ body: (ResidentModel) async throws -> T) async throws -> T {
        let model = try await lease(tenant: tenant, requested: requested)
        do {
            let value = try await body(model)
            await registry.release(model)
            return value
        } catch {
            await registry.release(model)
            throw error
        }
    }

    private func lease(tenant: UUID, requested: String?) async throws -> ResidentModel {
        let record: ModelVersionRecord?
        switch requested {
        case nil: record = try await store.activeModelVersion(tenant: tenant)
        case Self.defaultKey?: record = nil
        case let id?:
            guard let uuid = UUID(uuidString: id), let found = try await store.modelVersion(tenant: tenant, id: uuid) else {
                throw APIError(.notFound, "no such model: \(id)", field: "model")
            }
            guard found.state == .ready else { throw APIError(.conflict, "model \(id) is \(found.state.rawValue), not ready", field: "model") }
            record = found
        }
        guard let record else {
            return try await registry.lease(Self.defaultKey) { throw APIError(.unavailable, "the default model is not loaded") }
        }
        let source = ModelLoader.Source(url: blobs.url(record.blobKey), label: Self.label(record))
        do {
            return try await registry.lease(record.id.uuidString.lowercased()) { source }
        } catch {
            throw APIError(.unavailable, "model \(Self.label(record)) could not be loaded on this instance: \(error)")
        }
    }

    static func label(_ record: ModelVersionRecord) -> String { "\(record.name)-v\(record.version)" }

    /// Stores an upload's file (already in the blob store) as a new version, loads and validates it, and
    /// activates it if asked. A version that fails to load is kept as failed, with the reason, and a 422 says why.
    func register(tenant: UUID, id: UUID, name: String, blobKey: String, written: BlobStore.Written, manifestJSON: String?,
                  activate: Bool) async throws -> ModelVersionRecord {
        var record: ModelVersionRecord
        do {
            record = try await store.insertModelVersion(ModelVersionRecord(
                id: id, tenantID: tenant, name: name, version: 0, blobKey: blobKey, sizeBytes: written.size, sha256: written.sha256,
                manifestJSON: manifestJSON))
        } catch {
            deleteFiles(blobKey)
            throw error
        }
        let model: ResidentModel
        do {
            model = try await registry.loader.load(.init(url: blobs.url(blobKey), label: Self.label(record)), key: id.uuidString.lowercased())
        } catch {
            let reason = "\(error)"
            try await store.setModelState(tenant: tenant, id: id, state: .failed, failure: reason)
            throw APIError(.unprocessable, "the model could not be loaded: \(reason); version \(record.version) is kept as failed", field: "model")
        }
        do {
            try await store.setModelState(tenant: tenant, id: id, state: .ready, failure: nil)
        } catch {
            await model.stop()
            throw error
        }
        record.state = .ready
        await registry.install(model)
        if activate {
            _ = try await store.activateModelVersion(tenant: tenant, id: id, at: Date())
            record = try await store.modelVersion(tenant: tenant, id: id) ?? record
        }
        return record
    }

    /// Removes a version's model file and manifest.
    func deleteFiles(_ blobKey: String) {
        blobs.delete(blobKey)
        blobs.delete(ModelUpload.manifestKey(for: blobKey))
    }

    /// The manifest of a version, for listings, when it is resident (nothing is loaded to answer).
    func manifest(of record: ModelVersionRecord) async -> ModelManifest? {
        await registry.manifest(record.id.uuidString.lowercased())
    }
}
