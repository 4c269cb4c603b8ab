import Foundation
import YOLOFuseDetect
import YOLOFuseStore

/// Records as the contract's JSON types.
enum Payloads {
    static func tenant(_ tenant: Tenant) -> Components.Schemas.Tenant {
        .init(id: tenant.id.uuidString.lowercased(), name: tenant.name, status: tenant.status == .active ? .active : .suspended,
              createdAt: tenant.createdAt)
    }

    static func modelVersion(_ record: ModelVersionRecord, manifest: ModelManifest?) -> Components.Schemas.ModelVersion {
        .init(id: record.id.uuidString.lowercased(), name: record.name, version: record.version,
              state: .init(rawValue: record.state.rawValue) ?? .failed, failure: record.failure, active: record.active,
              sizeBytes: record.sizeBytes, sha256: record.sha256, classes: manifest?.classNames,
              modality: manifest?.modality.rawValue, inputSize: manifest.map { [$0.inputWidth, $0.inputHeight] },
              createdAt: record.createdAt, activatedAt: record.activatedAt)
    }

    static func job(_ job: JobRecord) -> Components.Schemas.Job {
        .init(id: job.id.uuidString.lowercased(), kind: job.kind == .video ? .video : .pairs, state: .init(rawValue: job.state.rawValue) ?? .failed,
              progress: .init(done: job.progress, total: job.total), attempts: job.attempts,
              options: try? JSONDecoder().decode(Components.Schemas.JobOptions.self, from: Data(job.parametersJSON.utf8)),
              error: job.error, createdAt: job.createdAt, finishedAt: job.finishedAt)
    }
}
