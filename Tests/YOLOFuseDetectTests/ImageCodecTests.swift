import Foundation
import Testing
import YOLOFuseVision

@Suite struct ImageCodecTests {
    @Test(arguments: [Image.Format.gray, .rgb])
    func pngRoundTripIsExact(format: Image.Format) throws {
        let image = Support.pattern(width: 37, height: 23, format: format)
        let decoded = try ImageCodec.decode(try ImageCodec.encodePNG(image), name: "t.png")
        #expect(decoded == image)
    }

    @Test(arguments: [Image.Format.gray, .rgb])
    func jpegRoundTripIsClose(format: Image.Format) throws {
        // Smooth content: JPEG's chroma subsampling blurs sharp colour edges by design.
        let image = Support.pattern(width: 64, height: 48, format: format, blocks: false)
        let decoded = try ImageCodec.decode(try ImageCodec.encodeJPEG(image, quality: 95), name: "t.jpg")
        #expect(decoded.width == 64 && decoded.height == 48 && decoded.format == format)
        let error = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / image.pixels.count
        #expect(error < 8, "mean absolute error \(error)")
    }

    @Test func headerLimitsRefuseBeforeDecoding() throws {
        let data = try ImageCodec.encodeJPEG(Support.pattern(width: 300, height: 200, format: .rgb))
        #expect(try ImageCodec.probe(data, name: "x").width == 300)
        #expect { try ImageCodec.decode(data, name: "big.jpg", limits: .init(maxPixels: 50_000)) } throws: {
            "\($0)".contains("big.jpg") && "\($0)".contains("60000 pixels")
        }
    }

    @Test func dctScalingKeepsWhatTheLetterboxTakes() throws {
        // 1920x1080 into a 640x640 letterbox is scaled by 1/3: the half-scale decode (960x540) loses nothing.
        let data = try ImageCodec.encodeJPEG(Support.pattern(width: 1920, height: 1080, format: .rgb))
        let scaled = try ImageCodec.decode(data, name: "x", fitting: (640, 640))
        #expect(scaled.width == 960 && scaled.height == 540)
        // A 4K frame goes to a quarter (960x540), still covering the letterbox's 640x360.
        let large = try ImageCodec.encodeJPEG(Support.pattern(width: 3840, height: 2160, format: .rgb))
        #expect(try ImageCodec.decode(large, name: "z", fitting: (640, 640)).width == 960)
        // A frame smaller than the model input is decoded whole.
        let small = try ImageCodec.encodeJPEG(Support.pattern(width: 320, height: 200, format: .rgb))
        #expect(try ImageCodec.decode(small, name: "y", fitting: (640, 640)).width == 320)
    }

    @Test(arguments: ["jpeg", "png"])
    func truncatedAndCorruptFilesAreErrorsNeverCrashes(kind: String) throws {
        let image = Support.pattern(width: 120, height: 90, format: .rgb)
        let data = kind == "png" ? try ImageCodec.encodePNG(image) : try ImageCodec.encodeJPEG(image)
        var failures = 0
        // Cut every 512 bytes (and near the end): each must be an error naming the file, or (rarely, for JPEG
        // files cut in trailing metadata) a full decode.
        for cut in Array(stride(from: 0, to: data.count, by: 512)) + [data.count - 1] {
            do {
                let decoded = try ImageCodec.decode(data.prefix(cut), name: "cut-\(cut).\(kind)")
                #expect(decoded.width == 120)
            } catch let error as ImageError {
                #expect(error.description.contains("cut-\(cut)"))
                failures += 1
            }
        }
        #expect(failures >= 2)
        var flipped = data
        for index in stride(from: 20, to: flipped.count, by: 7) { flipped[index] ^= 0x5A }
        #expect(throws: ImageError.self) { _ = try ImageCodec.decode(flipped, name: "noise") }
        #expect(throws: ImageError.self) { _ = try ImageCodec.decode(Data("GIF89a".utf8), name: "g.gif") }
        #expect(throws: ImageError.self) { _ = try ImageCodec.decode(Data(), name: "empty") }
    }

    @Test func exifOrientationIsApplied() throws {
        // PIL writes a 40x20 JPEG whose left half is white, with EXIF orientation 6 (rotate 90 degrees clockwise).
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exif-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("rotated.jpg").path
        let script = """
        from PIL import Image
        im = Image.new('L', (40, 20), 0)
        im.paste(255, (0, 0, 20, 20))
        exif = Image.Exif(); exif[0x0112] = 6
        im.save('\(path)', exif=exif.tobytes(), quality=95)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        try process.run()
        process.waitUntilExit()
        let image = try ImageCodec.read(URL(fileURLWithPath: path))
        #expect(image.width == 20 && image.height == 40)
        // Rotated clockwise, the white left half is now the top half.
        #expect(image.pixels[5 * 20 + 10] > 200)
        #expect(image.pixels[35 * 20 + 10] < 50)
    }
}
