import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import SystemPackage
import YOLOFuseAPI
import YOLOFuseDetect
import YOLOFuseStore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the detection API (default: 127.0.0.1:8000, SQLite under ./data, the bundled default model).",
        discussion: """
            Settings come from, highest first: flags, YOLOFUSE_* environment variables, the JSON file given with \
            --config, defaults. Keys (environment name in brackets): host [YOLOFUSE_HOST], port [YOLOFUSE_PORT], \
            model [YOLOFUSE_MODEL], store [YOLOFUSE_STORE] (a path for SQLite or a postgres:// URL), \
            data.dir [YOLOFUSE_DATA_DIR], admin.key [YOLOFUSE_ADMIN_KEY], limits.image.bytes, limits.model.bytes, \
            models.budget.mb, keys.cache.seconds, model.imgsz (square input size for a dynamic default model), \
            batch.max.size (1 turns batching off), batch.max.delay.ms, batch.queue.length, request.timeout.seconds, \
            role [YOLOFUSE_ROLE], jobs.queue, jobs.lease.seconds, jobs.poll.ms, jobs.max.attempts, jobs.max.active, jobs.retention.days, limits.video.bytes. \
            Without an admin key, one is made for this run and printed once.
            """
    )

    @Option(help: "JSON settings file.") var config: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8000).") var port: Int?
    @Option(help: "The default model (default: the bundled one).") var model: String?
    @Option(help: "State: an SQLite file path or a postgres:// URL (default DATA_DIR/state.db).") var store: String?
    @Option(name: .customLong("data-dir"), help: "Folder for the SQLite file and uploaded models (default ./data).") var dataDirectory: String?
    @Option(name: .customLong("max-image-bytes"), help: "Largest accepted image part (default 32 MiB).") var maxImageBytes: Int?
    @Option(name: .customLong("max-model-bytes"), help: "Largest accepted model upload (default 256 MiB).") var maxModelBytes: Int?
    @Option(help: "api (HTTP API; jobs go to workers), worker (runs queued jobs; answers only probes and metrics) or all (default).")
    var role: String?
    @OptionGroup var engineOptions: EngineOptions

    func run() async throws {
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider().prefixKeys(with: "yolofuse")]
        if let config { providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(config))) }
        let settings = ConfigReader(providers: providers)

        let port = port ?? settings.int(forKey: "port", default: 8000)
        guard (1...65535).contains(port) else { throw ValidationError("port must be between 1 and 65535") }
        let modelPath = model ?? settings.string(forKey: "model")
        let url = try modelPath.map { URL(fileURLWithPath: $0) } ?? DefaultModel.locate()
        let dataDirectory = URL(fileURLWithPath: dataDirectory ?? settings.string(forKey: "data.dir", default: "data"))
        let storeText = store ?? settings.string(forKey: "store", isSecret: true) ?? dataDirectory.appendingPathComponent("state.db").path
        var adminKey = settings.string(forKey: "admin.key", isSecret: true) ?? ""
        if adminKey.isEmpty {
            adminKey = "yfa_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") + UUID().uuidString.lowercased().prefix(8)
            FileHandle.standardError.write(Data("""
                No admin key is configured (YOLOFUSE_ADMIN_KEY or admin.key); this run's admin key is:
                  \(adminKey)

                """.utf8))
        }
        var configuration = ServerConfiguration(
            host: host ?? settings.string(forKey: "host", default: "127.0.0.1"), port: port, modelURL: url, adminKey: adminKey,
            store: StoreLocation(storeText), blobDirectory: dataDirectory.appendingPathComponent("blobs"),
            engine: try engineOptions.configuration())
        configuration.maxImageBytes = maxImageBytes ?? settings.int(forKey: "limits.image.bytes", default: configuration.maxImageBytes)
        configuration.maxModelBytes = maxModelBytes ?? settings.int(forKey: "limits.model.bytes", default: configuration.maxModelBytes)
        configuration.modelMemoryBudgetBytes = settings.int(forKey: "models.budget.mb", default: configuration.modelMemoryBudgetBytes >> 20) << 20
        if let size = settings.int(forKey: "model.imgsz") { configuration.modelImageSize = size }
        configuration.batching = .init(
            maxBatchSize: settings.int(forKey: "batch.max.size", default: configuration.batching.maxBatchSize),
            maxQueueDelay: .microseconds(Int(settings.double(forKey: "batch.max.delay.ms", default: 5) * 1000)),
            maxQueueLength: settings.int(forKey: "batch.queue.length", default: configuration.batching.maxQueueLength))
        guard (1...32).contains(configuration.batching.maxBatchSize) else { throw ValidationError("batch.max.size must be 1 to 32") }
        configuration.requestTimeout = .milliseconds(Int(settings.double(forKey: "request.timeout.seconds", default: 30) * 1000))
        configuration.keyCacheTTL = .milliseconds(Int(settings.double(forKey: "keys.cache.seconds", default: 2) * 1000))
        let roleText = role ?? settings.string(forKey: "role", default: "all")
        guard let role = ServerRole(rawValue: roleText) else { throw ValidationError("role must be api, worker or all, not \(roleText)") }
        configuration.role = role
        configuration.jobs.queue = settings.string(forKey: "jobs.queue", default: configuration.jobs.queue)
        configuration.jobs.lease = .milliseconds(Int(settings.double(forKey: "jobs.lease.seconds", default: 30) * 1000))
        configuration.jobs.pollInterval = .milliseconds(settings.int(forKey: "jobs.poll.ms", default: 500))
        configuration.jobs.maxAttempts = settings.int(forKey: "jobs.max.attempts", default: configuration.jobs.maxAttempts)
        configuration.jobs.maxVideoBytes = settings.int(forKey: "limits.video.bytes", default: configuration.jobs.maxVideoBytes)
        configuration.jobs.maxActivePerTenant = settings.int(forKey: "jobs.max.active", default: configuration.jobs.maxActivePerTenant)
        configuration.jobs.retention = .seconds(Int(settings.double(forKey: "jobs.retention.days", default: 7) * 86_400))
        guard configuration.jobs.lease >= .seconds(3), configuration.jobs.maxAttempts >= 1 else {
            throw ValidationError("jobs.lease.seconds must be at least 3 and jobs.max.attempts at least 1")
        }
        let app = try await buildApplication(configuration)
        // Runs until SIGINT or SIGTERM; in-flight requests finish before the process exits.
        try await app.runService()
    }
}
