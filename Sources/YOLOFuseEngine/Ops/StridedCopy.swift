import YOLOFuseTensor

/// Copies a strided view of `source` (element offset and strides, any sign) into a new dense tensor.
/// Slice, Split, Transpose, Expand and Gather's reference kernels are all this one move.
func stridedCopy(_ source: Tensor, offset: Int, strides: [Int], shape: Shape) -> Tensor {
    let output = Tensor(zeros: source.dataType, shape: shape)
    let width = source.dataType.byteWidth
    let src = UnsafeRawPointer(source.storage.pointer), dst = output.storage.pointer
    if shape.elementCount == 0 { return output }
    var written = 0
    func walk(_ axis: Int, _ base: Int) {
        if axis == shape.rank {
            dst.advanced(by: written * width).copyMemory(from: src.advanced(by: base * width), byteCount: width)
            written += 1
            return
        }
        if axis == shape.rank - 1 && strides[axis] == 1 {
            let n = shape.dims[axis]
            dst.advanced(by: written * width).copyMemory(from: src.advanced(by: base * width), byteCount: n * width)
            written += n
            return
        }
        for i in 0..<shape.dims[axis] { walk(axis + 1, base + i * strides[axis]) }
    }
    walk(0, offset)
    return output
}
