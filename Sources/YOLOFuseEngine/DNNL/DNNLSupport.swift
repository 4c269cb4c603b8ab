internal import CDNNL
import YOLOFuseTensor

/// A oneDNN call that failed; the message says which primitive and why.
struct DNNLError: Error, CustomStringConvertible {
    let description: String
}

@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
    guard status == dnnl_success else { throw DNNLError(description: "oneDNN \(what()) failed (status \(status.rawValue))") }
}

/// The process-wide oneDNN CPU engine.
enum DNNLEngine {
    /// Created once; oneDNN engines are thread-safe and live as long as the process.
    nonisolated(unsafe) static let shared: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        let status = dnnl_engine_create(&engine, dnnl_cpu, 0)
        precondition(status == dnnl_success, "cannot create the oneDNN CPU engine")
        return engine!
    }()
}

/// How a 4-D activation is laid out in memory. Everything else is plain row-major.
enum Layout: Hashable {
    case plain
    case nhwc
    /// oneDNN's nChw16c: channels in blocks of 16, innermost. Only Winograd convolutions read and write it, for
    /// channel counts that are multiples of 16 (so it holds exactly as many floats as the plain shape).
    case channelBlocks16

    /// Element strides of `shape` in this layout (not defined for `channelBlocks16`, which no stride list describes).
    func strides(_ shape: Shape) -> [Int] {
        precondition(self != .channelBlocks16, "nChw16c has no element strides")
        if self == .nhwc && shape.rank == 4 {
            let (c, h, w) = (shape.dims[1], shape.dims[2], shape.dims[3])
            return [h * w * c, 1, w * c, c]
        }
        return shape.strides
    }
}

/// A float32 memory descriptor for `shape` in `layout`, or with explicit strides (views, transposes).
func memoryDescriptor(_ shape: Shape, layout: Layout = .plain, strides explicit: [Int]? = nil) throws -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    if layout == .channelBlocks16 && explicit == nil {
        precondition(shape.rank == 4 && shape.dims[1] % 16 == 0, "nChw16c needs 4-D values with channels in whole blocks")
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&md, 4, shape.dims.map { Int64($0) }, dnnl_f32, dnnl_nChw16c), "memory descriptor \(shape) nChw16c")
        return md
    }
    let dims = shape.rank == 0 ? [1] : shape.dims.map { Int64($0) }
    let strides = shape.rank == 0 ? [1] : (explicit ?? layout.strides(shape)).map { Int64($0) }
    try dnnlCheck(dnnl_memory_desc_init_by_strides(&md, Int32(dims.count), dims, dnnl_f32, strides), "memory descriptor \(shape)")
    return md
}

/// The same descriptor with size-1 axes prepended up to `rank` (oneDNN broadcasting wants equal ranks).
func memoryDescriptor(_ shape: Shape, layout: Layout, rank: Int) throws -> dnnl_memory_desc_t {
    if shape.rank == rank { return try memoryDescriptor(shape, layout: layout) }
    let padded = Shape(Array(repeating: 1, count: rank - shape.rank) + shape.dims)
    let strides = Array(repeating: shape.elementCount, count: rank - shape.rank) + layout.strides(shape)
    return try memoryDescriptor(padded, strides: strides)
}

/// Owns a oneDNN primitive descriptor and its primitive.
/// `@unchecked Sendable`: both are immutable after creation and oneDNN executes primitives from any thread.
final class DNNLPrimitive: @unchecked Sendable {
    let descriptor: dnnl_primitive_desc_t
    let handle: dnnl_primitive_t
    let scratchpadBytes: Int

    init(descriptor: dnnl_primitive_desc_t) throws {
        self.descriptor = descriptor
        var primitive: dnnl_primitive_t?
        let status = dnnl_primitive_create(&primitive, descriptor)
        guard status == dnnl_success, let primitive else {
            dnnl_primitive_desc_destroy(descriptor)
            throw DNNLError(description: "oneDNN primitive creation failed (status \(status.rawValue))")
        }
        handle = primitive
        scratchpadBytes = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0).map { dnnl_memory_desc_get_size($0) } ?? 0
    }

    /// Builds the primitive from an op descriptor (convolution, eltwise, ... desc structs).
    convenience init<OpDescriptor>(_ opDescriptor: inout OpDescriptor, attributes: DNNLAttributes?, what: String) throws {
        var pd: dnnl_primitive_desc_t?
        let status = withUnsafePointer(to: &opDescriptor) {
            dnnl_primitive_desc_create(&pd, UnsafeRawPointer($0), attributes?.handle, DNNLEngine.shared, nil)
        }
        try dnnlCheck(status, what)
        try self.init(descriptor: pd!)
    }

    /// A memory descriptor the primitive chose (weights layout, scratchpad, ...).
    func query(_ what: dnnl_query_t) -> dnnl_memory_desc_t? {
        dnnl_primitive_desc_query_md(descriptor, what, 0)?.pointee
    }

    deinit {
        dnnl_primitive_destroy(handle)
        dnnl_primitive_desc_destroy(descriptor)
    }
}

/// Primitive attributes with the scratchpad in user mode (the engine hands each run its own scratch buffer,
/// so concurrent runs never share one) and optional post-ops.
final class DNNLAttributes {
    let handle: dnnl_primitive_attr_t

    init() throws {
        var attr: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attr), "attribute creation")
        handle = attr!
        try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(handle, dnnl_scratchpad_mode_user), "scratchpad mode")
    }

    func setPostOps(_ build: (dnnl_post_ops_t) throws -> Void) throws {
        var postOps: dnnl_post_ops_t?
        try dnnlCheck(dnnl_post_ops_create(&postOps), "post-ops creation")
        defer { dnnl_post_ops_destroy(postOps) }
        try build(postOps!)
        try dnnlCheck(dnnl_primitive_attr_set_post_ops(handle, postOps), "post-ops")
    }

    deinit { dnnl_primitive_attr_destroy(handle) }
}

