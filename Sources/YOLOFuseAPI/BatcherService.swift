import ServiceLifecycle
import YOLOFuseDetect

/// Runs a model's dynamic batcher under the service group; on graceful shutdown it stops taking requests and
/// lets the running batch finish.
struct BatcherService: Service {
    let batcher: DynamicBatcher

    func run() async throws {
        await withGracefulShutdownHandler {
            await batcher.run()
        } onGracefulShutdown: {
            batcher.shutdown()
        }
    }
}
