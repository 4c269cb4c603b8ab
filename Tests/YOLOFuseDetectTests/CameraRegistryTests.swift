import Foundation
import Testing
import YOLOFuseDetect
import YOLOFuseVision

@Suite struct CameraRegistryTests {
    func write(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cameras-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func namedCamerasResolveToTheirRegistration() throws {
        let url = try write(#"{"gate-3": {"registration": [3, 0, 0, 0, 2.109375, 0]}, "dock": {"registration": [1, 0, 0, 0, 1, 0, 0, 0, 1]}}"#)
        defer { try? FileManager.default.removeItem(at: url) }
        let registry = try CameraRegistry(contentsOf: url)
        #expect(try registry.registration(for: "gate-3") == Registration(affine: [3, 0, 0, 0, 2.109375, 0]))
        #expect(throws: DetectionError.self) { try registry.registration(for: "gate-4") }
    }

    @Test func badFilesNameTheCamera() throws {
        let url = try write(#"{"gate-3": {"registration": [1, 2, 3]}}"#)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect { try CameraRegistry(contentsOf: url) } throws: { "\($0)".contains("gate-3") }
        let notJSON = try write("cameras: none")
        defer { try? FileManager.default.removeItem(at: notJSON) }
        #expect(throws: DetectionError.self) { try CameraRegistry(contentsOf: notJSON) }
    }
}
