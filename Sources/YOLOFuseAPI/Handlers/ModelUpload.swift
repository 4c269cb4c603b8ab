import Foundation
import OpenAPIRuntime

/// The parts of a model upload, read in one pass; the model file streams straight into the blob store.
struct ModelUpload {
    var written: BlobStore.Written?
    var manifestJSON: String?
    var name = "model"
    var activate = true

    static func blobKey(tenant: UUID, version: UUID) -> String {
        "tenants/\(tenant.uuidString.lowercased())/models/\(version.uuidString.lowercased()).onnx"
    }

    /// The manifest sits beside the model with a .json extension, where the model loader looks for it.
    static func manifestKey(for blobKey: String) -> String {
        String(blobKey.dropLast(".onnx".count)) + ".json"
    }

    static func read(_ body: Operations.UploadModel.Input.Body, into blobKey: String, blobs: BlobStore, limit: Int) async throws -> ModelUpload {
        guard case .multipartForm(let parts) = body else { throw APIError(.badRequest, "send multipart/form-data") }
        var upload = ModelUpload()
        do {
            for try await part in parts {
                switch part {
                case .model(let file):
                    upload.written = try await blobs.write(blobKey, from: file.payload.body, limit: limit, field: "model")
                case .manifest(let manifest):
                    let json = try JSONEncoder().encode(manifest.payload.body)
                    upload.manifestJSON = String(decoding: json, as: UTF8.self)
                case .name(let name):
                    let text = try await String(collecting: name.payload.body, upTo: 1024).trimmingCharacters(in: .whitespacesAndNewlines)
                    guard (1...100).contains(text.count), text.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                        throw APIError(.unprocessable, "name must be 1 to 100 letters, digits, '-', '_' or '.'", field: "name")
                    }
                    upload.name = text
                case .activate(let flag):
                    let text = try await String(collecting: flag.payload.body, upTo: 16).trimmingCharacters(in: .whitespacesAndNewlines)
                    guard let value = Bool(text.lowercased()) else { throw APIError(.unprocessable, "activate must be true or false", field: "activate") }
                    upload.activate = value
                case .undocumented(let part):
                    _ = try? await Data(collecting: part.body, upTo: 1 << 20)
                    throw APIError(.unprocessable, "unknown part; send 'model', 'manifest', 'name' and 'activate'", field: "form")
                }
            }
        } catch let error as APIError {
            blobs.delete(blobKey)
            throw error
        } catch {
            blobs.delete(blobKey)
            throw APIError(.badRequest, "the multipart body could not be read: \(error)")
        }
        guard upload.written != nil else { throw APIError(.unprocessable, "send the ONNX file as the 'model' part", field: "model") }
        if let json = upload.manifestJSON { try blobs.write(manifestKey(for: blobKey), data: Data(json.utf8)) }
        return upload
    }
}
