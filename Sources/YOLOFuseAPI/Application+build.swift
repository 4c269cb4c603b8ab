public import Foundation
public import Hummingbird
import Logging
import OpenAPIHummingbird
import Prometheus
import ServiceLifecycle
import HTTPTypes
import YOLOFuseDetect
public import YOLOFuseEngine
import YOLOFuseStore

/// Builds the HTTP application from configuration; `yolofuse serve` and the tests call the same function.
/// The database is migrated and the default model loaded and warmed up before the server listens, so /readyz is
/// true from the first byte.
public func buildApplication(_ configuration: ServerConfiguration, engine: Engine? = nil) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "yolofuse")
    logger.logLevel = .info
    let engine = engine ?? Engine(configuration: configuration.engine)
    let metrics = ServiceMetrics()
    let store = try await configuration.store.open()
    let loader = ModelLoader(engine: engine, batching: configuration.batching, metrics: metrics)
    let registry = ModelRegistry(loader: loader, budgetBytes: configuration.modelMemoryBudgetBytes,
                                 onResidentCount: { metrics.setModelsResident($0) })
    let defaultName = configuration.modelURL.deletingPathExtension().lastPathComponent
    do {
        await registry.install(try await loader.load(.init(url: configuration.modelURL, label: TenantModels.defaultKey),
                                                     key: TenantModels.defaultKey, imageSize: configuration.modelImageSize))
    } catch {
        await store.close()
        throw error
    }
    let models = TenantModels(store: store, blobs: try BlobStore(root: configuration.blobDirectory), registry: registry)
    let authenticator = Authenticator(store: store, adminKey: configuration.adminKey, cacheTTL: configuration.keyCacheTTL)

    let router = Router(context: APIRequestContext.self)
    router.middlewares.add(MetricsMiddleware(metrics: metrics))
    router.middlewares.add(RequestIDMiddleware())
    router.middlewares.add(ClientErrorMiddleware())
    router.middlewares.add(DisconnectMiddleware())
    router.middlewares.add(BodyLimitMiddleware { path in
        switch pathSegments(path) {
        case ["v1", "models"]: configuration.maxModelBytes + (1 << 20)
        case ["v1", "detect"]: 2 * configuration.maxImageBytes + (1 << 20)
        case ["v1", "jobs"]: 2 * configuration.jobs.maxVideoBytes + (1 << 20)
        default: 1 << 20
        }
    })
    router.middlewares.add(AuthMiddleware(authenticator: authenticator))
    let jobSignal = JobSignal()
    let service = APIService(configuration: configuration, store: store, models: models, authenticator: authenticator,
                             metrics: metrics, defaultModelName: defaultName, jobSignal: jobSignal)
    if configuration.role.servesAPI {
        try service.registerHandlers(on: router)
    } else {
        // A worker answers its probes only; the API is the api replicas' job.
        router.get("/healthz") { _, _ in try jsonResponse(.ok, try await service.getHealth(.init()).ok.body.json) }
        router.get("/readyz") { _, _ -> Response in
            switch try await service.getReadiness(.init()) {
            case .ok(let ready): return try jsonResponse(.ok, ready.body.json)
            case .serviceUnavailable(let down): return try jsonResponse(.serviceUnavailable, down.body.json)
            case .undocumented(let status, _): return Response(status: .init(code: status))
            }
        }
    }
    // The contract itself, for clients and generators.
    let spec = try Data(contentsOf: Bundle.module.url(forResource: "openapi", withExtension: "yaml")!)
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
    }
    router.get("/openapi.yaml") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: spec)))
    }
    var services: [any Service] = [StateShutdownService(registry: registry, store: store)]
    if configuration.role.runsJobs {
        // Listed after the state service, so on shutdown it stops (and hands back its job) before the store closes.
        var jobLogger = logger
        jobLogger[metadataKey: "role"] = "worker"
        let runner = JobRunner(store: store, models: models, settings: configuration.jobs, metrics: metrics, logger: jobLogger)
        services.append(JobWorker(store: store, runner: runner, settings: configuration.jobs, blobs: models.blobs,
                                  signal: jobSignal, logger: jobLogger))
    }
    logger.info("serving", metadata: ["store": "\(configuration.store)", "model": "\(defaultName)", "role": "\(configuration.role.rawValue)"])
    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [InputClosedWatcher()])),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "yolofuse"),
        services: services,
        logger: logger
    )
}

private func jsonResponse(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
}
