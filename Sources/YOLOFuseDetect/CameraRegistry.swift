public import Foundation
public import YOLOFuseVision

/// Named camera pairs and the registration that maps each one's IR frame onto its RGB frame, so a site can
/// calibrate once and callers name the camera instead of sending matrices:
/// `{"gate-3": {"registration": [h11, h12, h13, h21, h22, h23, h31, h32, h33]}, "dock": {"registration": [6 numbers]}}`
public struct CameraRegistry: Sendable {
    public private(set) var cameras: [String: Registration]

    public init(cameras: [String: Registration] = [:]) { self.cameras = cameras }

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw DetectionError(field: "cameras", "cannot read \(url.path)") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DetectionError(field: "cameras", "\(url.lastPathComponent) is not a JSON object of cameras")
        }
        var cameras: [String: Registration] = [:]
        for (name, value) in object {
            guard let entry = value as? [String: Any], let numbers = entry["registration"] as? [Double] else {
                throw DetectionError(field: "cameras", "camera '\(name)' needs a \"registration\" list of 6 or 9 numbers")
            }
            do { cameras[name] = try Registration(values: numbers) } catch {
                throw DetectionError(field: "cameras", "camera '\(name)': \(error)")
            }
        }
        self.cameras = cameras
    }

    public func registration(for camera: String) throws -> Registration {
        guard let registration = cameras[camera] else {
            let known = cameras.keys.sorted().joined(separator: ", ")
            throw DetectionError(field: "camera", "unknown camera '\(camera)'" + (known.isEmpty ? "" : " (known: \(known))"))
        }
        return registration
    }
}
