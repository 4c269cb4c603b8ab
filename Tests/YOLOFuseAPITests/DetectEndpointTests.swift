import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YOLOFuseAPI
import YOLOFuseEngine

/// End to end over a real loopback socket: the server as `yolofuse serve` builds it, a real HTTP client.
@Suite("Detection API over HTTP")
struct DetectEndpointTests {
    func configuration(maxImageBytes: Int = 32 << 20) -> ServerConfiguration {
        TestServer.configuration(maxImageBytes: maxImageBytes)
    }

    func form(_ parts: [(String, String, Data)], key: String) -> (ByteBuffer, HTTPFields) {
        TestServer.form(parts, headers: TestServer.bearer(key))
    }

    func images() throws -> (Data, Data) { try TestServer.pair() }

    @Test func healthReadinessAndTheSpec() async throws {
        let app = try await buildApplication(configuration(), engine: TestServer.engine)
        try await app.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("mid_t_op18_dyn"))
                #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("/v1/detect"))
            }
        }
    }

    @Test func detectReturnsBoxesInOriginalPixels() async throws {
        let app = try await buildApplication(configuration(), engine: TestServer.engine)
        let (rgb, ir) = try images()
        let options = Data(#"{"conf": 0.4, "max_det": 50}"#.utf8)
        try await app.test(.live) { client in
            let key = try await TestServer.provision(client).key
            let (body, headers) = form([("rgb", "image/jpeg", rgb), ("ir", "image/jpeg", ir), ("options", "application/json", options)], key: key)
            var requestHeaders = headers
            requestHeaders[HTTPField.Name("X-Request-Id")!] = "trace-123"
            try await client.execute(uri: "/v1/detect", method: .post, headers: requestHeaders, body: body) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                // Our own id keys the usage event; the caller's is echoed for tracing.
                #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.count == 36)
                #expect(response.headers[HTTPField.Name("X-Client-Request-Id")!] == "trace-123")
                #expect(response.headers[HTTPField.Name("X-Model-Version")!] == "default")
                #expect(Double(response.headers[HTTPField.Name("X-Processing-Time-Ms")!] ?? "") ?? 0 > 0)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let image = try #require(json["image"] as? [String: Int])
                #expect(image["width"] == 800 && image["height"] == 600)
                let detections = try #require(json["detections"] as? [[String: Any]])
                #expect(!detections.isEmpty && detections.count <= 50)
                for detection in detections {
                    #expect((detection["score"] as! Double) >= 0.4)
                    let box = detection["box"] as! [Double]
                    #expect(box[0] >= 0 && box[2] <= 800 && box[1] >= 0 && box[3] <= 600 && box[0] <= box[2])
                }
            }
        }
    }

    @Test func severalPairsInOneRequestAnswerInOrder() async throws {
        let app = try await buildApplication(configuration(), engine: TestServer.engine)
        let (rgb, ir) = try images()
        let (smallRGB, smallIR) = (try Data(contentsOf: TestServer.fixture("sample/images").appendingPathComponent(sampleName())),
                                   try Data(contentsOf: TestServer.fixture("sample/imagesIR").appendingPathComponent(sampleName())))
        try await app.test(.live) { client in
            let key = try await TestServer.provision(client).key
            let single = try await TestServer.detect(client, key: key)
            let (body, headers) = form([("rgb.scene", "image/jpeg", rgb), ("rgb.sample-1", "image/jpeg", smallRGB),
                                        ("ir.sample-1", "image/jpeg", smallIR), ("ir.scene", "image/jpeg", ir)], key: key)
            try await client.execute(uri: "/v1/detect", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let json = try TestServer.json(response)
                let results = try #require(json["results"] as? [[String: Any]])
                #expect(results.map { $0["pair"] as? String } == ["scene", "sample-1"])
                // The scene pair gets the same boxes as when sent alone.
                let alone = try #require(try JSONSerialization.jsonObject(with: Data(single.body.utf8)) as? [String: Any])
                let scene = try #require(results[0]["result"] as? [String: Any])
                #expect((scene["detections"] as? [[String: Any]])?.count == (alone["detections"] as? [[String: Any]])?.count)
                #expect((scene["image"] as? [String: Int])?["width"] == 800)
            }
            // Plain and keyed parts do not mix; a part sent twice is refused by name.
            let (mixed, h1) = form([("rgb", "image/jpeg", rgb), ("ir.a", "image/jpeg", ir)], key: key)
            try await client.execute(uri: "/v1/detect", method: .post, headers: h1, body: mixed) { #expect($0.status == .unprocessableContent) }
            let (twice, h2) = form([("rgb.a", "image/jpeg", rgb), ("rgb.a", "image/jpeg", rgb)], key: key)
            try await client.execute(uri: "/v1/detect", method: .post, headers: h2, body: twice) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("rgb.a"))
            }
        }
    }

    @Test func aRequestPastItsDeadlineGets503AndTheServerGoesOn() async throws {
        var configuration = configuration()
        configuration.requestTimeout = .microseconds(1)
        let app = try await buildApplication(configuration, engine: TestServer.engine)
        try await app.test(.live) { client in
            let key = try await TestServer.provision(client).key
            let late = try await TestServer.detect(client, key: key)
            #expect(late.status == .serviceUnavailable)
            #expect(late.body.contains("took longer"))
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func aRequestWhoseClientLeftIsDroppedBeforeInference() async throws {
        var configuration = configuration()
        // A long queue delay keeps a lone request waiting in the batcher while its client goes away.
        configuration.batching = .init(maxBatchSize: 8, maxQueueDelay: .milliseconds(1500))
        let app = try await buildApplication(configuration, engine: TestServer.engine)
        try await app.test(.live) { client in
            let key = try await TestServer.provision(client).key
            let port = try #require(client.port)
            let (rgb, ir) = try TestServer.pair()
            let (body, headers) = TestServer.form([("rgb", "image/jpeg", rgb), ("ir", "image/jpeg", ir)], headers: TestServer.bearer(key))
            try await RawConnection.sendAndHangUp(port: port, path: "/v1/detect", headers: headers, body: body, after: .milliseconds(50))
            // When its batch forms, the abandoned call is dropped and metered as a failed call without inference.
            var usage: [String: Any] = [:]
            for _ in 0..<50 where usage["calls"] as? Int != 1 {
                try await Task.sleep(for: .milliseconds(100))
                try await client.execute(uri: "/v1/usage", method: .get, headers: TestServer.bearer(key)) { usage = try TestServer.json($0) }
            }
            #expect(usage["calls"] as? Int == 1)
            #expect(usage["successful_calls"] as? Int == 0)
            #expect(usage["inference_ms"] as? Double == 0)
        }
    }

    func sampleName() throws -> String {
        try #require(try FileManager.default.contentsOfDirectory(atPath: TestServer.fixture("sample/images").path).sorted().first)
    }

    @Test func badInputGetsAClearClientError() async throws {
        let app = try await buildApplication(configuration(maxImageBytes: 50_000), engine: TestServer.engine)
        let (rgb, ir) = try images()
        try await app.test(.live) { client in
            let key = try await TestServer.provision(client).key
            // Missing IR for a fusion model: 422 naming the part.
            let (onlyRGB, h1) = form([("rgb", "image/jpeg", Data(rgb.prefix(40_000)))], key: key)
            try await client.execute(uri: "/v1/detect", method: .post, headers: h1, body: onlyRGB) { response in
                #expect(response.status.code == 400 || response.status.code == 422)
            }
            // An image over the upload limit: 413.
            let (big, h2) = form([("rgb", "image/jpeg", rgb), ("ir", "image/jpeg", ir)], key: key)
            try await client.execute(uri: "/v1/detect", method: .post, headers: h2, body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(String(buffer: response.body).contains("rgb"))
            }
            // A threshold out of range: 422 naming the field.
            let (badOption, h3) = form([("ir", "image/jpeg", ir), ("options", "application/json", Data(#"{"conf": 3}"#.utf8))], key: key)
            try await client.execute(uri: "/v1/detect", method: .post, headers: h3, body: badOption) { response in
                #expect(response.status.code == 400 || response.status.code == 422)
            }
            // Not an image: 400 naming the part.
            let (garbage, h4) = form([("rgb", "image/jpeg", Data("not a jpeg".utf8)), ("ir", "image/jpeg", ir)], key: key)
            try await client.execute(uri: "/v1/detect", method: .post, headers: h4, body: garbage) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("rgb"))
            }
            // Not multipart at all.
            try await client.execute(uri: "/v1/detect", method: .post, headers: [.contentType: "application/json", .authorization: "Bearer \(key)"], body: ByteBuffer(string: "{}")) { response in
                #expect((400..<500).contains(Int(response.status.code)))
            }
            // The server is still fine afterwards, and counted all of it by route template and status.
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/no/such/path/123", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"yolofuse_http_requests_total{route="/v1/detect",method="POST",status="413"} 1"#))
                #expect(text.contains(#"status="400""#))
                #expect(text.contains("yolofuse_models_resident_count 1"))
                #expect(!text.contains("/no/such/path"))
            }
        }
    }

    @Test func concurrentRequestsAreBatchedAndAllAnswered() async throws {
        var configuration = configuration()
        // A queue delay long enough that requests arriving together share runs even on a busy machine.
        configuration.batching = .init(maxBatchSize: 4, maxQueueDelay: .milliseconds(500), maxQueueLength: 32)
        let app = try await buildApplication(configuration, engine: TestServer.engine)
        let (rgb, ir) = try images()
        try await app.test(.live) { client in
            let key = try await TestServer.provision(client).key
            let port = try #require(client.port)
            let (body, headers) = form([("rgb", "image/jpeg", rgb), ("ir", "image/jpeg", ir)], key: key)
            // One connection per request: requests on one HTTP/1.1 connection are served one after another and
            // would never meet in the batcher.
            let statuses = try await withThrowingTaskGroup(of: (UInt, Int).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let connection = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(120)))
                        connection.connect()
                        let response = try await connection.execute(.init("/v1/detect", method: .post, headers: headers, body: body))
                        try await connection.shutdown()
                        let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body ?? ByteBuffer())) as? [String: Any]
                        return (UInt(response.status.code), (json?["detections"] as? [Any])?.count ?? -1)
                    }
                }
                var collected: [(UInt, Int)] = []
                for try await status in group { collected.append(status) }
                return collected
            }
            #expect(statuses.allSatisfy { $0.0 == 200 })
            // Same pair, same options: every caller gets the same detections, batched or not.
            #expect(Set(statuses.map(\.1)).count == 1)
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                // All eight images went through the batcher, in fewer runs than requests.
                #expect(text.contains("yolofuse_batch_images_sum 8"), "\(text)")
                let runs = text.split(separator: "\n").first { $0.hasPrefix("yolofuse_batch_images_count ") }
                    .flatMap { Int($0.split(separator: " ")[1]) }
                #expect((runs ?? 8) < 8, "\(text)")
                // Every queued request has left the queue.
                #expect(text.contains("yolofuse_queue_depth_requests 0"), "\(text)")
            }
        }
    }
}

@Suite struct SharedLoadWaitTests {
    /// A request past its deadline stops waiting for a model load at once, and the load goes on for others.
    @Test(.timeLimit(.minutes(1))) func waitingForASharedLoadEndsAtCancellation() async throws {
        // The load cannot finish before the test lets it, so the waiter can only end by its cancellation.
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let load = Task<Int, any Error> {
            for await _ in gate {}
            return 7
        }
        let waiter = Task { try await load.valueUnlessCancelled() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        open.finish()
        // Another caller still gets the load's value.
        #expect(try await Task { try await load.valueUnlessCancelled() }.value == 7)
    }
}
