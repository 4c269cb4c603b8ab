public import Foundation
public import Hummingbird
import Logging
import OpenAPIHummingbird
import Prometheus
import YOLOFuseDetect
public import YOLOFuseEngine

/// Builds the HTTP application from configuration; `yolofuse serve` and the tests call the same function.
/// The default model is loaded and warmed up before the server listens, so /readyz is true from the first byte.
public func buildApplication(_ configuration: ServerConfiguration, engine: Engine? = nil) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "yolofuse")
    logger.logLevel = .info
    let engine = engine ?? Engine(configuration: configuration.engine)
    let detector = try await Detector.load(configuration.modelURL, engine: engine)
    let modelName = configuration.modelURL.deletingPathExtension().lastPathComponent
    let metrics = ServiceMetrics()
    metrics.setModelsResident(1)
    let router = Router()
    router.middlewares.add(MetricsMiddleware(metrics: metrics))
    router.middlewares.add(RequestIDMiddleware())
    router.middlewares.add(ClientErrorMiddleware())
    let batcher = DynamicBatcher(detector: detector, configuration: configuration.batching) { images, duration in
        metrics.recordInference(duration, images: images)
    }
    let service = DetectionService(detector: detector, batcher: batcher, modelName: modelName, configuration: configuration)
    try service.registerHandlers(on: router)
    // The contract itself, for clients and generators.
    let spec = try Data(contentsOf: Bundle.module.url(forResource: "openapi", withExtension: "yaml")!)
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
    }
    router.get("/openapi.yaml") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: spec)))
    }
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "yolofuse"),
        services: [BatcherService(batcher: batcher)],
        logger: logger
    )
}
