import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YOLOFuseAPI
import YOLOFuseVision

/// Tenants, keys and per-tenant models end to end, over loopback HTTP, on SQLite and on PostgreSQL.
@Suite("Tenants, keys and models over HTTP")
struct TenantAPITests {
    typealias S = TestServer

    @Test(arguments: StoreBackend.allCases)
    func keysGateEveryCallAndRevocationAndSuspensionTakeEffect(_ backend: StoreBackend) async throws {
        let app = try await buildApplication(S.configuration(backend), engine: S.engine)
        try await app.test(.live) { client in
            // The admin API needs the admin key, and a tenant key is not one.
            try await client.execute(uri: "/v1/admin/tenants", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/admin/tenants", method: .get, headers: S.bearer("wrong")) { #expect($0.status == .unauthorized) }
            let (tenantID, key) = try await S.provision(client, name: "acme")
            #expect(key.hasPrefix("yf_") && key.count >= 3 + 12 + 1 + 43)
            try await client.execute(uri: "/v1/admin/tenants", method: .get, headers: S.bearer(key)) { #expect($0.status == .unauthorized) }
            // Paths the router reads as the same route are checked the same way: empty segments, percent-encoding.
            for path in ["//v1/admin/tenants", "/v1//admin/tenants", "/v1/admin//tenants", "//v1//admin/tenants/\(tenantID)/keys"] {
                try await client.execute(uri: path, method: .get) { #expect($0.status == .unauthorized, "\(path)") }
                try await client.execute(uri: path, method: .get, headers: S.bearer(key)) { #expect($0.status == .unauthorized, "\(path)") }
            }
            try await client.execute(uri: "/v1/%61dmin/tenants", method: .get, headers: S.bearer(key)) { response in
                #expect(response.status == .unauthorized || response.status == .notFound)
            }
            try await client.execute(uri: "//v1/detect", method: .post) { #expect($0.status == .unauthorized) }

            #expect(try await S.detect(client, key: key).status == .ok)
            #expect(try await S.detect(client, key: "").status == .unauthorized)
            #expect(try await S.detect(client, key: String(key.dropLast()) + (key.hasSuffix("A") ? "B" : "A")).status == .unauthorized)
            // The key is shown once: listings carry its id, never the secret.
            try await client.execute(uri: "/v1/admin/tenants/\(tenantID)/keys", method: .get, headers: S.admin) { response in
                #expect(response.status == .ok)
                #expect(!String(buffer: response.body).contains(key))
                #expect(String(buffer: response.body).contains(String(key.dropFirst(3).prefix(12))))
            }

            var json = S.admin
            json[.contentType] = "application/json"
            try await client.execute(uri: "/v1/admin/tenants/\(tenantID)", method: .patch, headers: json,
                                     body: ByteBuffer(string: #"{"status": "suspended"}"#)) { #expect($0.status == .ok) }
            #expect(try await S.detect(client, key: key).status == .forbidden)
            try await client.execute(uri: "/v1/admin/tenants/\(tenantID)", method: .patch, headers: json,
                                     body: ByteBuffer(string: #"{"status": "active"}"#)) { #expect($0.status == .ok) }
            #expect(try await S.detect(client, key: key).status == .ok)

            let keyID = String(key.dropFirst(3).prefix(12))
            try await client.execute(uri: "/v1/admin/tenants/\(tenantID)/keys/\(keyID)", method: .delete, headers: S.admin) {
                #expect($0.status == .noContent)
            }
            let revoked = try await S.detect(client, key: key)
            #expect(revoked.status == .unauthorized)
            #expect(revoked.body.contains("revoked"))

            try await client.execute(uri: "/v1/admin/tenants/\(tenantID)", method: .delete, headers: S.admin) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/v1/admin/tenants/\(tenantID)", method: .get, headers: S.admin) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/admin/tenants/not-a-uuid/keys", method: .get, headers: S.admin) { #expect($0.status == .notFound) }
        }
    }

    /// Tenant B's key against every id-bearing endpoint with tenant A's ids: 404 like a missing id, and nothing of
    /// A's in the answer.
    @Test(arguments: StoreBackend.allCases)
    func anotherTenantsObjectsAreNotFound(_ backend: StoreBackend) async throws {
        let app = try await buildApplication(S.configuration(backend), engine: S.engine)
        let model = try Data(contentsOf: S.fixture("models/mid_t_op18_dyn.onnx"))
        try await app.test(.live) { client in
            let a = try await S.provision(client, name: "a"), b = try await S.provision(client, name: "b")
            let uploaded = try await S.upload(client, key: a.key, model: model, name: "a-private-detector")
            #expect(uploaded.status == .created)
            let id = try #require(uploaded.json["id"] as? String)
            let sha = try #require(uploaded.json["sha256"] as? String)
            let missing = UUID().uuidString.lowercased()
            for target in [id, missing] {
                for (uri, method) in [("/v1/models/\(target)", HTTPRequest.Method.get), ("/v1/models/\(target)", .delete),
                                      ("/v1/models/\(target)/activate", .post)] {
                    try await client.execute(uri: uri, method: method, headers: S.bearer(b.key)) { response in
                        #expect(response.status == .notFound, "\(method) \(uri)")
                        let text = String(buffer: response.body)
                        #expect(!text.contains("a-private-detector") && !text.contains(sha))
                    }
                }
                let detection = try await S.detect(client, key: b.key, options: #"{"model": "\#(target)"}"#)
                #expect(detection.status == .notFound)
                #expect(!detection.body.contains("a-private-detector"))
            }
            try await client.execute(uri: "/v1/models", method: .get, headers: S.bearer(b.key)) { response in
                #expect(!String(buffer: response.body).contains(id))
            }
            // A tenant's key cannot reach another tenant's keys through the admin API either.
            try await client.execute(uri: "/v1/admin/tenants/\(a.tenantID)/keys", method: .get, headers: S.bearer(b.key)) {
                #expect($0.status == .unauthorized)
            }
            // A's model still serves A, and B is on the default.
            #expect(try await S.detect(client, key: a.key).model == "a-private-detector-v1")
            #expect(try await S.detect(client, key: b.key).model == "default")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func uploadValidateActivateRollBackAndDelete(_ backend: StoreBackend) async throws {
        let app = try await buildApplication(S.configuration(backend), engine: S.engine)
        let mid = try Data(contentsOf: S.fixture("models/mid_t_op18_dyn.onnx"))
        let early = try Data(contentsOf: S.fixture("models/early_t_op18_dyn.onnx"))
        try await app.test(.live) { client in
            let tenant = try await S.provision(client)
            let first = try await S.upload(client, key: tenant.key, model: mid, name: "mid")
            #expect(first.status == .created)
            #expect(first.json["state"] as? String == "ready" && first.json["active"] as? Bool == true)
            #expect(first.json["classes"] as? [String] == ["person", "car", "bicycle"])
            let firstID = try #require(first.json["id"] as? String)
            #expect(try await S.detect(client, key: tenant.key).model == "mid-v1")

            // A broken upload is kept as failed, says why, and the previous version goes on serving.
            let broken = try await S.upload(client, key: tenant.key, model: Data(mid.prefix(5000)), name: "mid")
            #expect(broken.status == .unprocessableContent)
            #expect((broken.json["error"] as? String)?.contains("could not be loaded") == true)
            try await client.execute(uri: "/v1/models", method: .get, headers: S.bearer(tenant.key)) { response in
                let models = try #require(try S.json(response)["models"] as? [[String: Any]])
                #expect(models.map { $0["state"] as? String } == ["ready", "failed"])
                #expect(models.map { $0["version"] as? Int } == [1, 2])
                let serving = try S.json(response)["serving"] as? String
                #expect(serving == firstID)
            }
            #expect(try await S.detect(client, key: tenant.key).model == "mid-v1")

            // Uploaded without activation, then activated; a request can still name another version.
            let second = try await S.upload(client, key: tenant.key, model: early, name: "early", activate: false)
            #expect(second.status == .created && second.json["active"] as? Bool == false)
            let secondID = try #require(second.json["id"] as? String)
            #expect(try await S.detect(client, key: tenant.key).model == "mid-v1")
            #expect(try await S.detect(client, key: tenant.key, options: #"{"model": "\#(secondID)"}"#).model == "early-v1")
            #expect(try await S.detect(client, key: tenant.key, options: #"{"model": "default"}"#).model == "default")
            try await client.execute(uri: "/v1/models/\(secondID)/activate", method: .post, headers: S.bearer(tenant.key)) { response in
                #expect(response.status == .ok)
                let answer = try S.json(response)
                #expect(answer["serving"] as? String == secondID)
            }
            #expect(try await S.detect(client, key: tenant.key).model == "early-v1")
            // The active version cannot be deleted; a failed one cannot be activated.
            try await client.execute(uri: "/v1/models/\(secondID)", method: .delete, headers: S.bearer(tenant.key)) { #expect($0.status == .conflict) }
            let brokenID = try #require(try await client.execute(uri: "/v1/models", method: .get, headers: S.bearer(tenant.key)) { response in
                (try S.json(response)["models"] as? [[String: Any]])?.first { $0["state"] as? String == "failed" }?["id"] as? String
            })
            try await client.execute(uri: "/v1/models/\(brokenID)/activate", method: .post, headers: S.bearer(tenant.key)) {
                #expect($0.status == .conflict)
            }

            // Roll back to the previous version, then to the default, then there is nothing left.
            for expected in [firstID, "default"] {
                try await client.execute(uri: "/v1/models/rollback", method: .post, headers: S.bearer(tenant.key)) { response in
                    #expect(response.status == .ok)
                    let answer = try S.json(response)
                    #expect(answer["serving"] as? String == expected)
                }
            }
            #expect(try await S.detect(client, key: tenant.key).model == "default")
            try await client.execute(uri: "/v1/models/rollback", method: .post, headers: S.bearer(tenant.key)) { #expect($0.status == .conflict) }

            try await client.execute(uri: "/v1/models/\(secondID)", method: .delete, headers: S.bearer(tenant.key)) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/v1/models/\(secondID)", method: .get, headers: S.bearer(tenant.key)) { #expect($0.status == .notFound) }
        }
    }

    @Test func oversizedUploadsAreRefusedAndNothingIsKept() async throws {
        var configuration = S.configuration()
        configuration.maxModelBytes = 100_000
        let blobs = configuration.blobDirectory
        let app = try await buildApplication(configuration, engine: S.engine)
        let model = try Data(contentsOf: S.fixture("models/mid_t_op18_dyn.onnx"))
        try await app.test(.live) { client in
            let tenant = try await S.provision(client)
            // Streamed past the part limit.
            let streamed = try await S.upload(client, key: tenant.key, model: model, name: "big")
            #expect(streamed.status == .contentTooLarge)
            // Declared larger than the request limit: refused before the body is read.
            let (body, headers) = S.form([("model", "application/octet-stream", Data(count: 1_300_000))], headers: S.bearer(tenant.key))
            try await client.execute(uri: "/v1/models", method: .post, headers: headers, body: body) { #expect($0.status == .contentTooLarge) }
            try await client.execute(uri: "/v1/models", method: .get, headers: S.bearer(tenant.key)) { response in
                let models = try S.json(response)["models"] as? [Any]
                #expect(models?.isEmpty == true)
            }
            let leftovers = try FileManager.default.subpathsOfDirectory(atPath: blobs.path).filter { $0.hasSuffix(".onnx") }
            #expect(leftovers.isEmpty)
            let temporary = try FileManager.default.contentsOfDirectory(atPath: blobs.appendingPathComponent("tmp").path)
            #expect(temporary.isEmpty)
        }
    }

    /// Activations flip back and forth while requests run: none fails, and each is served whole by one version.
    @Test(arguments: StoreBackend.allCases)
    func hotSwapUnderLoadDropsNothing(_ backend: StoreBackend) async throws {
        let app = try await buildApplication(S.configuration(backend), engine: S.engine)
        let mid = try Data(contentsOf: S.fixture("models/mid_t_op18_dyn.onnx"))
        let early = try Data(contentsOf: S.fixture("models/early_t_op18_dyn.onnx"))
        try await app.test(.live) { client in
            let tenant = try await S.provision(client)
            let ids = [try #require(try await S.upload(client, key: tenant.key, model: mid, name: "mid").json["id"] as? String),
                       try #require(try await S.upload(client, key: tenant.key, model: early, name: "early").json["id"] as? String)]
            let results = try await withThrowingTaskGroup(of: [(HTTPResponse.Status, String?)].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var seen: [(HTTPResponse.Status, String?)] = []
                        for _ in 0..<5 {
                            let result = try await S.detect(client, key: tenant.key)
                            seen.append((result.status, result.model))
                        }
                        return seen
                    }
                }
                group.addTask {
                    for round in 0..<8 {
                        try await client.execute(uri: "/v1/models/\(ids[round % 2])/activate", method: .post, headers: S.bearer(tenant.key)) {
                            #expect($0.status == .ok)
                        }
                        try await Task.sleep(for: .milliseconds(30))
                    }
                    return []
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(results.count == 20)
            #expect(results.allSatisfy { $0.0 == .ok })
            #expect(Set(results.compactMap(\.1)).isSubset(of: ["mid-v1", "early-v1"]))
        }
    }

    @Test func residentModelsStayWithinTheBudgetAndReloadOnDemand() async throws {
        var configuration = S.configuration()
        // Room for about one tenant model beside the pinned default.
        configuration.modelMemoryBudgetBytes = 30 << 20
        let app = try await buildApplication(configuration, engine: S.engine)
        let mid = try Data(contentsOf: S.fixture("models/mid_t_op18_dyn.onnx"))
        try await app.test(.live) { client in
            let tenant = try await S.provision(client)
            var ids: [String] = []
            for index in 0..<3 {
                ids.append(try #require(try await S.upload(client, key: tenant.key, model: mid, name: "m\(index)").json["id"] as? String))
            }
            for (index, id) in ids.enumerated().reversed() {
                #expect(try await S.detect(client, key: tenant.key, options: #"{"model": "\#(id)"}"#).model == "m\(index)-v1")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let line = String(buffer: response.body).split(separator: "\n").first { $0.hasPrefix("yolofuse_models_resident_count ") }
                let resident = Double(line?.split(separator: " ").last ?? "").map { Int($0) } ?? -1
                #expect((1...2).contains(resident), "\(line ?? "no gauge")")
            }
        }
    }

    @Test func usageIsMeteredOncePerCallAndAnnotatedJPEGIsServed() async throws {
        let app = try await buildApplication(S.configuration(), engine: S.engine)
        try await app.test(.live) { client in
            let tenant = try await S.provision(client), other = try await S.provision(client, name: "other")
            for _ in 0..<3 { #expect(try await S.detect(client, key: tenant.key).status == .ok) }
            #expect(try await S.detect(client, key: tenant.key, options: #"{"conf": 7}"#).status == .unprocessableContent)
            let (rgb, ir) = try S.pair()
            var (body, headers) = S.form([("rgb", "image/jpeg", rgb), ("ir", "image/jpeg", ir)], headers: S.bearer(tenant.key))
            headers[.accept] = "image/jpeg"
            try await client.execute(uri: "/v1/detect", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/jpeg")
                #expect(Int(response.headers[HTTPField.Name("X-Detection-Count")!] ?? "") != nil)
                let image = try ImageCodec.decode(Data(buffer: response.body), name: "annotated")
                #expect(image.width == 800 && image.height == 600)
            }
            try await client.execute(uri: "/v1/usage", method: .get, headers: S.bearer(tenant.key)) { response in
                let usage = try S.json(response)
                #expect(usage["calls"] as? Int == 5)
                #expect(usage["successful_calls"] as? Int == 4)
                #expect(usage["images"] as? Int == 8)
                #expect((usage["inference_ms"] as? Double ?? 0) > 0)
            }
            try await client.execute(uri: "/v1/usage", method: .get, headers: S.bearer(other.key)) { response in
                let usage = try S.json(response)
                #expect(usage["calls"] as? Int == 0)
            }
        }
    }
}
