import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YOLOFuseAPI
import YOLOFuseEngine
import YOLOFuseStore

/// The state backends the end-to-end tests run against: a fresh SQLite file, or the real PostgreSQL server
/// `scripts/test-postgres.sh` starts (YOLOFUSE_TEST_POSTGRES_URL overrides it).
enum StoreBackend: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres
    var description: String { rawValue }

    func location(in folder: URL) -> StoreLocation {
        switch self {
        case .sqlite: .sqlite(path: folder.appendingPathComponent("state.db").path)
        case .postgres:
            .postgres(url: ProcessInfo.processInfo.environment["YOLOFUSE_TEST_POSTGRES_URL"]
                ?? "postgres://yolofuse:yolofuse@127.0.0.1:54329/yolofuse_test?sslmode=disable")
        }
    }
}

/// Configuration and HTTP helpers shared by the end-to-end suites.
enum TestServer {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func fixture(_ path: String) -> URL { root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(path) }
    static let engine = Engine(configuration: .init(backend: .onednn, threads: 2))
    static let adminKey = "yfa_test_admin_key"
    static var admin: HTTPFields { [.authorization: "Bearer \(adminKey)"] }

    /// A server on an ephemeral loopback port with its own data folder; the key cache is off so revocations
    /// show at once (the cache itself is exercised separately).
    static func configuration(_ backend: StoreBackend = .sqlite, maxImageBytes: Int = 32 << 20) -> ServerConfiguration {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("yolofuse-api-\(UUID().uuidString)")
        var configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, modelURL: fixture("models/mid_t_op18_dyn.onnx"), adminKey: adminKey,
            store: backend.location(in: folder), blobDirectory: folder.appendingPathComponent("blobs"),
            maxImageBytes: maxImageBytes, keyCacheTTL: .zero)
        // Each server's workers claim from a queue of its own: the PostgreSQL database is shared by every test.
        configuration.jobs.queue = "test-\(UUID().uuidString)"
        configuration.jobs.pollInterval = .milliseconds(20)
        return configuration
    }

    /// A multipart/form-data body with the given parts (name, content type, bytes).
    static func form(_ parts: [(String, String, Data)], headers extra: HTTPFields = [:]) -> (ByteBuffer, HTTPFields) {
        let boundary = "yolofuse-test-boundary"
        var body = Data()
        for (name, type, data) in parts {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(name)\"\r\nContent-Type: \(type)\r\n\r\n".utf8))
            body.append(data)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        var headers = extra
        headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
        return (ByteBuffer(bytes: body), headers)
    }

    static func pair() throws -> (rgb: Data, ir: Data) {
        (try Data(contentsOf: fixture("pairs/scene_rgb.jpg")), try Data(contentsOf: fixture("pairs/scene_ir.jpg")))
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any], "\(String(buffer: response.body))")
    }

    static func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }

    /// Creates a tenant and one key for it through the admin API.
    static func provision(_ client: some TestClientProtocol, name: String = "tenant") async throws -> (tenantID: String, key: String) {
        var headers = admin
        headers[.contentType] = "application/json"
        let tenantID = try await client.execute(uri: "/v1/admin/tenants", method: .post, headers: headers,
                                                body: ByteBuffer(string: #"{"name": "\#(name)"}"#)) { response in
            #expect(response.status == .created)
            return try #require(try json(response)["id"] as? String)
        }
        let key = try await client.execute(uri: "/v1/admin/tenants/\(tenantID)/keys", method: .post, headers: headers,
                                           body: ByteBuffer(string: #"{"name": "test"}"#)) { response in
            #expect(response.status == .created)
            return try #require(try json(response)["key"] as? String)
        }
        return (tenantID, key)
    }

    /// Uploads a fixture model; returns the status and the JSON answer.
    static func upload(_ client: some TestClientProtocol, key: String, model: Data, name: String, activate: Bool = true) async throws
        -> (status: HTTPResponse.Status, json: [String: Any]) {
        let (body, headers) = form([("model", "application/octet-stream", model), ("name", "text/plain", Data(name.utf8)),
                                    ("activate", "text/plain", Data(String(activate).utf8))], headers: bearer(key))
        return try await client.execute(uri: "/v1/models", method: .post, headers: headers, body: body) { response in
            (response.status, try json(response))
        }
    }

    /// One detection on the fixture pair; returns the status and the model version that served it.
    static func detect(_ client: some TestClientProtocol, key: String, options: String? = nil) async throws -> (status: HTTPResponse.Status, model: String?, body: String) {
        let (rgb, ir) = try pair()
        var parts = [("rgb", "image/jpeg", rgb), ("ir", "image/jpeg", ir)]
        if let options { parts.append(("options", "application/json", Data(options.utf8))) }
        let (body, headers) = form(parts, headers: bearer(key))
        return try await client.execute(uri: "/v1/detect", method: .post, headers: headers, body: body) { response in
            (response.status, response.headers[HTTPField.Name("X-Model-Version")!], String(buffer: response.body))
        }
    }
}
