import ServiceLifecycle
import YOLOFuseStore

/// On graceful shutdown: stop the models' batchers (running batches finish), then close the database.
struct StateShutdownService: Service {
    let registry: ModelRegistry
    let store: any StateStore

    func run() async throws {
        try? await gracefulShutdown()
        await registry.shutdown()
        await store.close()
    }
}
