import Foundation
import YOLOFuseDetect
import YOLOFuseStore

/// Implements the generated API protocol; one file per group of operations. Handlers throw `APIError` for
/// every failure and `ClientErrorMiddleware` turns it into the JSON error the contract documents.
struct APIService: APIProtocol {
    let configuration: ServerConfiguration
    let store: any StateStore
    let models: TenantModels
    let authenticator: Authenticator
    let metrics: ServiceMetrics
    let defaultModelName: String
    /// Wakes this process's worker (role all) when a job is queued.
    let jobSignal: JobSignal

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: "alive"))))
    }

    /// Ready when the default model is loaded (it is before the server listens) and the database answers.
    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        do {
            try await store.ping()
        } catch {
            return .serviceUnavailable(.init(body: .json(.init(status: "database unreachable", model: defaultModelName))))
        }
        return .ok(.init(body: .json(.init(status: "ready", model: defaultModelName))))
    }
}
