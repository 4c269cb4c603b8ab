import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YOLOFuseAPI
import YOLOFuseVideo
import YOLOFuseVision

/// Jobs end to end (video pairs and batches of image pairs): submitted over HTTP, run by a worker from the queue,
/// polled, results fetched.
@Suite("Jobs over HTTP")
struct JobEndpointTests {
    /// An RGB and an IR video of the fixture scene, `frames` frames at 10 fps each.
    static func videos(frames: Int) throws -> (rgb: Data, ir: Data) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("yolofuse-videos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var files: [Data] = []
        for name in ["scene_rgb", "scene_ir"] {
            let image = try ImageCodec.read(TestServer.fixture("pairs/\(name).jpg")).toRGB()
            let path = folder.appendingPathComponent("\(name).mp4").path
            let writer = try VideoWriter(path: path, width: image.width, height: image.height, frameRate: 10)
            for _ in 0..<frames { try writer.write(image) }
            try writer.finish()
            files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        return (files[0], files[1])
    }

    static func submit(_ client: some TestClientProtocol, key: String, rgb: Data?, ir: Data?, options: String? = nil) async throws
        -> (status: HTTPResponse.Status, json: [String: Any]) {
        var parts: [(String, String, Data)] = []
        if let rgb { parts.append(("rgb_video", "video/mp4", rgb)) }
        if let ir { parts.append(("ir_video", "video/mp4", ir)) }
        if let options { parts.append(("options", "application/json", Data(options.utf8))) }
        let (body, headers) = TestServer.form(parts, headers: TestServer.bearer(key))
        return try await client.execute(uri: "/v1/jobs", method: .post, headers: headers, body: body) { response in
            (response.status, try TestServer.json(response))
        }
    }

    static func job(_ client: some TestClientProtocol, key: String, id: String) async throws -> (status: HTTPResponse.Status, json: [String: Any]) {
        try await client.execute(uri: "/v1/jobs/\(id)", method: .get, headers: TestServer.bearer(key)) { response in
            (response.status, try TestServer.json(response))
        }
    }

    /// Polls until the job leaves queued/running (at most a minute); returns its last state.
    static func waitUntilDone(_ client: some TestClientProtocol, key: String, id: String) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let (status, json) = try await job(client, key: key, id: id)
            #expect(status == .ok)
            let state = json["state"] as? String
            if state != "queued" && state != "running" || ContinuousClock.now > deadline { return json }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aVideoJobRunsOnAWorkerAndOnlyItsTenantSeesIt(_ backend: StoreBackend) async throws {
        var settings = TestServer.configuration(backend)
        // The worker would not poll again within the test: the API's queueing wakes it.
        settings.jobs.pollInterval = .seconds(600)
        let configuration = settings
        let app = try await buildApplication(configuration, engine: TestServer.engine)
        let (rgb, ir) = try Self.videos(frames: 6)
        try await app.test(.live) { client in
            let owner = try await TestServer.provision(client, name: "owner").key
            let other = try await TestServer.provision(client, name: "other").key
            let (status, submitted) = try await Self.submit(client, key: owner, rgb: rgb, ir: ir, options: #"{"stride": 2, "conf": 0.05, "annotate": true}"#)
            #expect(status == .accepted, "\(submitted)")
            let id = try #require(submitted["id"] as? String)
            #expect(submitted["state"] as? String == "queued")

            let done = try await Self.waitUntilDone(client, key: owner, id: id)
            #expect(done["state"] as? String == "succeeded", "\(done)")
            let progress = try #require(done["progress"] as? [String: Int])
            #expect(progress["done"] == 3 && progress["total"] == 3)
            #expect(done["attempts"] as? Int == 1)

            let lines = try await client.execute(uri: "/v1/jobs/\(id)/result", method: .get, headers: TestServer.bearer(owner)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/x-ndjson") == true)
                return String(buffer: response.body).split(separator: "\n").map(String.init)
            }
            #expect(lines.count == 3)
            var frames: [Int] = []
            for line in lines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                frames.append(try #require(object["frame"] as? Int))
                let result = try #require(object["result"] as? [String: Any])
                #expect((result["image"] as? [String: Int])?["width"] == 800)
                #expect(!(try #require(result["detections"] as? [[String: Any]])).isEmpty)
            }
            #expect(frames == [0, 2, 4])

            // Another tenant: 404 on every id-bearing path, and nothing in its list.
            #expect(try await Self.job(client, key: other, id: id).status == .notFound)
            try await client.execute(uri: "/v1/jobs/\(id)/result", method: .get, headers: TestServer.bearer(other)) { response in
                #expect(response.status == .notFound)
                #expect(!String(buffer: response.body).contains("frame"))
            }
            try await client.execute(uri: "/v1/jobs", method: .get, headers: TestServer.bearer(other)) { response in
                let jobs = try TestServer.json(response)["jobs"] as? [Any]
                #expect(jobs?.isEmpty == true)
            }
            try await client.execute(uri: "/v1/jobs?limit=5", method: .get, headers: TestServer.bearer(owner)) { response in
                let jobs = try #require(try TestServer.json(response)["jobs"] as? [[String: Any]])
                #expect(jobs.map { $0["id"] as? String } == [id])
            }
            #expect((done["options"] as? [String: Any])?["annotate"] as? Bool == true)
            // The annotated video: one frame per frame pair, at the RGB video's size.
            let video = try await client.execute(uri: "/v1/jobs/\(id)/video", method: .get, headers: TestServer.bearer(owner)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "video/mp4")
                return Data(buffer: response.body)
            }
            let videoFile = FileManager.default.temporaryDirectory.appendingPathComponent("yolofuse-annotated-\(UUID().uuidString).mp4")
            try video.write(to: videoFile)
            defer { try? FileManager.default.removeItem(at: videoFile) }
            let reader = try VideoReader(path: videoFile.path)
            #expect(reader.width == 800 && reader.height == 600)
            var annotatedFrames = 0
            while try reader.next() != nil { annotatedFrames += 1 }
            #expect(annotatedFrames == 3)
            #expect(try await client.execute(uri: "/v1/jobs/\(id)/video", method: .get, headers: TestServer.bearer(other)) { $0.status } == .notFound)

            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains(#"yolofuse_job_attempts_total{outcome="succeeded"} 1"#))
            }
            // Metered once, with both videos' frames.
            try await client.execute(uri: "/v1/usage", method: .get, headers: TestServer.bearer(owner)) { response in
                let usage = try TestServer.json(response)
                #expect(usage["calls"] as? Int == 1 && usage["images"] as? Int == 6)
            }
            // Deleted with its files, by its tenant only.
            try await client.execute(uri: "/v1/jobs/\(id)", method: .delete, headers: TestServer.bearer(other)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/jobs/\(id)", method: .delete, headers: TestServer.bearer(owner)) { #expect($0.status == .noContent) }
            #expect(try await Self.job(client, key: owner, id: id).status == .notFound)
            try await client.execute(uri: "/v1/jobs/\(id)/result", method: .get, headers: TestServer.bearer(owner)) { #expect($0.status == .notFound) }
            let jobFiles = FileManager.default.enumerator(atPath: configuration.blobDirectory.path)?.compactMap { $0 as? String }
                .filter { $0.contains("/jobs/") } ?? []
            #expect(jobFiles.isEmpty, "\(jobFiles)")
        }
    }

    /// The scale-out shape: an API instance queues, a worker instance (same database and blob folder) runs. On
    /// PostgreSQL the idle worker never polls within the test: the database's announcement of a queued job wakes it.
    @Test(arguments: StoreBackend.allCases)
    func apiAndWorkerRolesSplitTheWork(_ backend: StoreBackend) async throws {
        var apiConfiguration = TestServer.configuration(backend)
        apiConfiguration.role = .api
        apiConfiguration.jobs.maxActivePerTenant = 1
        var worker = apiConfiguration
        worker.role = .worker
        if backend == .postgres { worker.jobs.pollInterval = .seconds(600) }
        let workerConfiguration = worker
        let api = try await buildApplication(apiConfiguration, engine: TestServer.engine)
        let (rgb, ir) = try Self.videos(frames: 3)
        try await api.test(.live) { client in
            let key = try await TestServer.provision(client).key
            let (status, submitted) = try await Self.submit(client, key: key, rgb: rgb, ir: ir)
            #expect(status == .accepted, "\(submitted)")
            let id = try #require(submitted["id"] as? String)
            // No worker yet: it waits in the queue, and its result is not there.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.job(client, key: key, id: id).json["state"] as? String == "queued")
            // One job in flight is this configuration's cap: the next is refused until it has run; other tenants are not.
            let (refused, refusal) = try await Self.submit(client, key: key, rgb: rgb, ir: ir)
            #expect(refused == .tooManyRequests && (refusal["error"] as? String)?.contains("queued or running") == true)
            let otherKey = try await TestServer.provision(client, name: "other").key
            let (otherStatus, otherJob) = try await Self.submit(client, key: otherKey, rgb: rgb, ir: ir)
            #expect(otherStatus == .accepted)
            let otherID = try #require(otherJob["id"] as? String)
            try await client.execute(uri: "/v1/jobs/\(id)/result", method: .get, headers: TestServer.bearer(key)) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains("queued"))
            }

            let workerApp = try await buildApplication(workerConfiguration, engine: TestServer.engine)
            try await workerApp.test(.live) { workerClient in
                try await workerClient.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
                try await workerClient.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
                // A worker serves no API.
                try await workerClient.execute(uri: "/v1/jobs", method: .get, headers: TestServer.bearer(key)) { #expect($0.status == .notFound) }
                let done = try await Self.waitUntilDone(client, key: key, id: id)
                #expect(done["state"] as? String == "succeeded", "\(done)")
                #expect((done["progress"] as? [String: Int])?["done"] == 3)
                // Not asked for an annotated video: there is none.
                try await client.execute(uri: "/v1/jobs/\(id)/video", method: .get, headers: TestServer.bearer(key)) { response in
                    #expect(response.status == .notFound)
                    #expect(String(buffer: response.body).contains("annotate"))
                }
                // With the queue empty and the worker idle, a job queued through the API instance still runs at once.
                #expect(try await Self.waitUntilDone(client, key: otherKey, id: otherID)["state"] as? String == "succeeded")
                let (status, next) = try await Self.submit(client, key: key, rgb: rgb, ir: ir)
                #expect(status == .accepted)
                let nextID = try #require(next["id"] as? String)
                #expect(try await Self.waitUntilDone(client, key: key, id: nextID)["state"] as? String == "succeeded")
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aBatchOfImagePairsRunsInOrderAndAnUnreadablePairFailsAlone(_ backend: StoreBackend) async throws {
        let app = try await buildApplication(TestServer.configuration(backend), engine: TestServer.engine)
        let (rgb, ir) = try TestServer.pair()
        let keys = (0..<11).map { "cam-\($0)" }
        // One pair's RGB image is cut short: its header reads, its pixels do not.
        let parts: [(String, String, Data)] = keys.flatMap { key in
            [("rgb.\(key)", "image/jpeg", key == "cam-9" ? rgb.prefix(rgb.count / 2) : rgb), ("ir.\(key)", "image/jpeg", ir)]
        } + [("options", "application/json", Data(#"{"conf": 0.3}"#.utf8))]
        try await app.test(.live) { client in
            let key = try await TestServer.provision(client).key
            let (body, headers) = TestServer.form(parts, headers: TestServer.bearer(key))
            let submitted = try await client.execute(uri: "/v1/jobs", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .accepted, "\(String(buffer: response.body))")
                return try TestServer.json(response)
            }
            #expect(submitted["kind"] as? String == "pairs")
            #expect((submitted["progress"] as? [String: Int])?["total"] == 11)
            let id = try #require(submitted["id"] as? String)
            let done = try await Self.waitUntilDone(client, key: key, id: id)
            #expect(done["state"] as? String == "succeeded", "\(done)")
            #expect((done["progress"] as? [String: Int])?["done"] == 11)
            let lines = try await client.execute(uri: "/v1/jobs/\(id)/result", method: .get, headers: TestServer.bearer(key)) { response in
                String(buffer: response.body).split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
            }
            #expect(lines.map { $0["pair"] as? String } == keys)
            for line in lines {
                if line["pair"] as? String == "cam-9" {
                    #expect(line["result"] == nil)
                    #expect((line["error"] as? String)?.contains("rgb.cam-9") == true, "\(line)")
                } else {
                    let result = try #require(line["result"] as? [String: Any], "\(line)")
                    let detections = try #require(result["detections"] as? [[String: Any]])
                    #expect(!detections.isEmpty && detections.allSatisfy { ($0["score"] as? Double ?? 0) >= 0.3 })
                    #expect((result["image"] as? [String: Int])?["width"] == 800)
                }
            }
            // Metered once: the images of the ten pairs that ran.
            try await client.execute(uri: "/v1/usage", method: .get, headers: TestServer.bearer(key)) { response in
                let usage = try TestServer.json(response)
                #expect(usage["calls"] as? Int == 1 && usage["images"] as? Int == 20)
            }
        }
    }

    @Test func finishedJobsAreDeletedWithTheirFilesAfterTheRetention() async throws {
        var settings = TestServer.configuration(.sqlite)
        // Long enough that a poll lands in the finished state even when the parallel suites load the machine
        // (at 200 ms a loaded run once saw only "running" and then 404), short enough to keep the test quick.
        settings.jobs.retention = .milliseconds(1500)
        settings.jobs.retentionSweepInterval = .milliseconds(50)
        let configuration = settings
        let app = try await buildApplication(configuration, engine: TestServer.engine)
        let (rgb, ir) = try TestServer.pair()
        try await app.test(.live) { client in
            let key = try await TestServer.provision(client).key
            let (body, headers) = TestServer.form([("rgb.a", "image/jpeg", rgb), ("ir.a", "image/jpeg", ir)], headers: TestServer.bearer(key))
            let id = try await client.execute(uri: "/v1/jobs", method: .post, headers: headers, body: body) { response in
                try #require(try TestServer.json(response)["id"] as? String)
            }
            let deadline = ContinuousClock.now + .seconds(30)
            var status = HTTPResponse.Status.ok
            var states: Set<String> = []
            while status == .ok && ContinuousClock.now < deadline {
                let (answer, json) = try await Self.job(client, key: key, id: id)
                status = answer
                if let state = json["state"] as? String { states.insert(state) }
                try await Task.sleep(for: .milliseconds(20))
            }
            // It ran, and then it went, files and all.
            #expect(states.contains("succeeded") && status == .notFound, "\(states) \(status)")
        }
        let jobFiles = FileManager.default.enumerator(atPath: configuration.blobDirectory.path)?.compactMap { $0 as? String }
            .filter { $0.contains("/jobs/") } ?? []
        #expect(jobFiles.isEmpty, "\(jobFiles)")
    }

    @Test func badSubmissionsAreRefusedAndLeaveNothingBehind() async throws {
        let configuration = TestServer.configuration(.sqlite)
        let app = try await buildApplication(configuration, engine: TestServer.engine)
        let (rgb, ir) = try Self.videos(frames: 2)
        try await app.test(.live) { client in
            let key = try await TestServer.provision(client).key
            let cases: [(rgb: Data?, ir: Data?, options: String?, status: HTTPResponse.Status, field: String)] = [
                (rgb, nil, nil, .unprocessableContent, "ir_video"),
                (Data("not a video at all".utf8), ir, nil, .unprocessableContent, "rgb_video"),
                (rgb, Data(repeating: 0, count: 4096), nil, .unprocessableContent, "ir_video"),
                (rgb, ir, #"{"stride": 0}"#, .unprocessableContent, "stride"),
                (rgb, ir, #"{"conf": 3}"#, .unprocessableContent, "conf"),
                (rgb, ir, #"{"classes": [7]}"#, .unprocessableContent, "classes"),
                (rgb, ir, #"{"model": "\#(UUID().uuidString)"}"#, .notFound, "model"),
            ]
            let (image, _) = try TestServer.pair()
            let pairCases: [(parts: [(String, String, Data)], status: HTTPResponse.Status, field: String)] = [
                ([("rgb.a", "image/jpeg", image)], .unprocessableContent, "ir.a"),
                ([("rgb.a", "image/jpeg", Data("no image".utf8)), ("ir.a", "image/jpeg", image)], .badRequest, "rgb.a"),
                ([("rgb.a", "image/jpeg", image), ("ir.a", "image/jpeg", image), ("rgb_video", "video/mp4", rgb)], .unprocessableContent, "form"),
                ([("rgb.a", "image/jpeg", image), ("rgb.a", "image/jpeg", image)], .unprocessableContent, "rgb.a"),
            ]
            for bad in cases {
                let (status, json) = try await Self.submit(client, key: key, rgb: bad.rgb, ir: bad.ir, options: bad.options)
                #expect(status == bad.status, "\(bad.field): \(json)")
                #expect(json["field"] as? String == bad.field, "\(json)")
            }
            for bad in pairCases {
                let (body, headers) = TestServer.form(bad.parts, headers: TestServer.bearer(key))
                try await client.execute(uri: "/v1/jobs", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == bad.status, "\(bad.field): \(String(buffer: response.body))")
                    let field = try TestServer.json(response)["field"] as? String
                    #expect(field == bad.field)
                }
            }
            try await client.execute(uri: "/v1/jobs", method: .get, headers: TestServer.bearer(key)) { response in
                let jobs = try TestServer.json(response)["jobs"] as? [Any]
                #expect(jobs?.isEmpty == true)
            }
            try await client.execute(uri: "/v1/jobs/\(UUID().uuidString)", method: .get, headers: TestServer.bearer(key)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/jobs?limit=0", method: .get, headers: TestServer.bearer(key)) { #expect($0.status == .unprocessableContent) }
        }
        let jobFolders = FileManager.default.enumerator(atPath: configuration.blobDirectory.path)?.compactMap { $0 as? String }
            .filter { $0.contains("/jobs/") } ?? []
        #expect(jobFolders.isEmpty, "\(jobFolders)")
    }
}
