import Crypto
import Foundation
import OpenAPIRuntime

/// Model files by key under one folder (a shared volume when API and workers run as replicas). Writes go to a
/// temporary file first and are renamed into place, so a reader never sees half a file.
struct BlobStore: Sendable {
    let root: URL

    init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
    }

    func url(_ key: String) -> URL { root.appendingPathComponent(key) }

    struct Written {
        let size: Int
        let sha256: String
    }

    /// Streams `body` into `key`, hashing as it goes, and stops with 413 once it passes `limit` bytes.
    func write(_ key: String, from body: HTTPBody, limit: Int, field: String) async throws -> Written {
        let temporary = root.appendingPathComponent("tmp/\(UUID().uuidString)")
        FileManager.default.createFile(atPath: temporary.path, contents: nil)
        let handle = try FileHandle(forWritingTo: temporary)
        var hasher = SHA256()
        var size = 0
        do {
            for try await chunk in body {
                size += chunk.count
                guard size <= limit else { throw APIError(.contentTooLarge, "the '\(field)' part is larger than \(limit) bytes", field: field) }
                let data = Data(chunk)
                hasher.update(data: data)
                try handle.write(contentsOf: data)
            }
            try handle.close()
            try place(temporary, at: key)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        return Written(size: size, sha256: hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// Moves a finished file to `key`, over whatever was there (an earlier attempt's result, say).
    func place(_ file: URL, at key: String) throws {
        let destination = url(key)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try? FileManager.default.removeItem(at: destination)
        try FileManager.default.moveItem(at: file, to: destination)
    }

    func write(_ key: String, data: Data) throws {
        let destination = url(key)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: destination, options: .atomic)
    }

    func delete(_ key: String) {
        try? FileManager.default.removeItem(at: url(key))
    }

    /// Removes a folder of blobs (a job's inputs and results) with everything in it.
    func deleteFolder(_ prefix: String) {
        try? FileManager.default.removeItem(at: url(prefix))
    }
}
