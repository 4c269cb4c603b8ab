import Foundation
import Testing
import YOLOFuseTensor

@Suite struct NumPyFileTests {
    @Test func roundTripAndNumPyCompatibility() throws {
        let tensor = Tensor(floats: (0..<24).map { Float($0) * 0.5 - 3 }, shape: Shape([2, 3, 4]))
        let decoded = try NumPyFile.decode(NumPyFile.encode(tensor))
        #expect(decoded.shape == tensor.shape)
        #expect(decoded.floats == tensor.floats)
        // The header must be what NumPy writes and reads: 64-byte aligned, ending in a newline.
        let data = NumPyFile.encode(tensor)
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(data[10 + headerLength - 1] == 0x0A)
    }

    @Test func badFilesAreRefused() {
        #expect(throws: NumPyFile.FormatError.self) { try NumPyFile.decode(Data("not numpy".utf8)) }
        let tensor = Tensor(floats: [1, 2, 3], shape: Shape([3]))
        let truncated = NumPyFile.encode(tensor).dropLast(4)
        #expect(throws: NumPyFile.FormatError.self) { try NumPyFile.decode(Data(truncated)) }
    }
}
