#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The library that computes matrix products: a BLAS loaded at run time, or the portable kernel.
///
/// Concretely: `gemm` computes `C ← α·op(A)·op(B) + β·C` on row-major `Float` matrices. The
/// backend is chosen once per process (``shared``) from the environment variable
/// `CREDITKIT_BLAS`:
///
/// - unset or `auto`: the first of OpenBLAS, MKL, BLIS, the system `libblas.so.3` (Linux) or
///   Accelerate (macOS) that loads, else the portable kernel (a bare library name is also looked
///   for in the `lib` directories of `$CONDA_PREFIX`, `$VIRTUAL_ENV` and `$MKLROOT`);
/// - `openblas`, `mkl`, `blis`, `system`, `accelerate`: only that library (portable if it fails);
/// - `none` or `portable`: the portable Swift kernel;
/// - a path to a shared library exporting `cblas_sgemm`.
///
/// Nothing is linked at build time, so the package builds on a machine with no BLAS installed.
public struct LinearAlgebraBackend: Sendable {
    /// Which implementation runs the products.
    public enum Kind: String, Sendable {
        case openBLAS = "OpenBLAS", mkl = "MKL", blis = "BLIS", systemBLAS = "system BLAS"
        case accelerate = "Accelerate", custom = "custom BLAS", portable = "portable Swift kernel"
    }

    /// The implementation.
    public let kind: Kind
    /// The file that was loaded, if any.
    public let libraryPath: String?
    /// The library's own description of its build (OpenBLAS: `openblas_get_config()`).
    public let configuration: String?
    /// The kernel family in use (OpenBLAS: `openblas_get_corename()`).
    public let coreType: String?
    /// The number of threads the library uses for one product, when it says.
    public let threads: Int?
    /// What the loader did and why: libraries tried, core-type corrections.
    public let notes: [String]
    private let sgemm: CBLASFunctions?
    var sgemmFunctions: CBLASFunctions? { sgemm }
    /// When set, every product's shape is recorded (used by `credit bench` to time the GEMMs of a
    /// training step on their own).
    private var recorder: GEMMRecorder?

    public var name: String { kind.rawValue }
    /// Whether the products run on the portable Swift kernel (no BLAS loaded).
    public var isPortable: Bool { sgemm == nil }

    /// The backend every network uses unless told otherwise, chosen on first use.
    public static let shared: LinearAlgebraBackend = BLASLoader.load(
        request: ProcessInfo.processInfo.environment["CREDITKIT_BLAS"])

    /// The portable Swift kernel, always available.
    public static let portable = LinearAlgebraBackend(
        kind: .portable, libraryPath: nil, configuration: nil, coreType: nil, threads: 1, notes: [], sgemm: nil)

    init(kind: Kind, libraryPath: String?, configuration: String?, coreType: String?, threads: Int?,
         notes: [String], sgemm: CBLASFunctions?) {
        self.kind = kind
        self.libraryPath = libraryPath
        self.configuration = configuration
        self.coreType = coreType
        self.threads = threads
        self.notes = notes
        self.sgemm = sgemm
    }

    /// `C ← α·op(A)·op(B) + β·C`. Shapes must agree (a programmer error otherwise).
    public func gemm(
        _ a: Matrix, _ transA: Transpose, _ b: Matrix, _ transB: Transpose,
        into c: inout Matrix, alpha: Float = 1, beta: Float = 0
    ) {
        let m = transA == .none ? a.rows : a.columns
        let k = transA == .none ? a.columns : a.rows
        let kB = transB == .none ? b.rows : b.columns
        let n = transB == .none ? b.columns : b.rows
        precondition(k == kB && c.rows == m && c.columns == n,
                     "gemm shapes: op(A) \(m)×\(k), op(B) \(kB)×\(n), C \(c.rows)×\(c.columns)")
        guard m > 0, n > 0 else { return }
        let (lda, ldb, ldc) = (a.columns, b.columns, c.columns)
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                         a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                         beta: beta, c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
    }

    /// The pointer form of ``gemm(_:_:_:_:into:alpha:beta:)``, row-major with explicit strides.
    public func gemm(
        transA: Transpose, transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let start = recorder?.isTiming == true ? DispatchTime.now().uptimeNanoseconds : 0
        if let sgemm {
            sgemm.call(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                       a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        } else {
            PortableGEMM.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                              a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
        if let recorder {
            let nanoseconds = recorder.isTiming ? DispatchTime.now().uptimeNanoseconds - start : 0
            recorder.record(GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k, beta: beta), nanoseconds: nanoseconds)
        }
    }
}

extension LinearAlgebraBackend {
    /// This backend, recording the shape of every product into `recorder`.
    public func recording(into recorder: GEMMRecorder) -> LinearAlgebraBackend {
        var copy = self
        copy.recorder = recorder
        return copy
    }
}

/// The shape of one matrix product.
public struct GEMMShape: Sendable, Equatable {
    /// Whether each operand is transposed.
    public var transA: Transpose, transB: Transpose
    /// The product's dimensions: `C (m×n) = A (m×k) · B (k×n)`.
    public var m: Int, n: Int, k: Int
    /// `β`: 0 overwrites `C`, 1 accumulates into it.
    public var beta: Float
    /// Floating-point operations: one multiply and one add per term.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// Collects the shapes of the products a backend computes.
public final class GEMMRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [GEMMShape] = []
    private var nanoseconds: UInt64 = 0
    /// Whether every product is also timed (``timeInProducts``).
    public let isTiming: Bool

    /// An empty log of shapes, or with `timing` a clock of the wall time spent inside the products
    /// instead (it runs through many steps, so it keeps no shapes).
    public init(timing: Bool = false) { isTiming = timing }

    func record(_ shape: GEMMShape, nanoseconds elapsed: UInt64) {
        lock.lock()
        if isTiming { nanoseconds += elapsed } else { recorded.append(shape) }  // a timing log runs for many steps
        lock.unlock()
    }

    /// The wall time spent inside the recorded products, in seconds (zero unless timing).
    public var timeInProducts: Double {
        lock.lock()
        defer { lock.unlock() }
        return Double(nanoseconds) / 1e9
    }

    /// Forgets the time summed so far (the shapes stay).
    public func resetTime() {
        lock.lock()
        nanoseconds = 0
        lock.unlock()
    }

    /// Every product recorded so far, in order.
    public var shapes: [GEMMShape] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}

/// The resolved `cblas_sgemm` entry point of a loaded library, and OpenBLAS's thread control.
///
/// OpenBLAS runs every product on all its threads above a small size. For a product of a few
/// million multiply-adds (a batch of 32 through a 50-unit layer) waking the second thread costs
/// more than it saves: measured on a 2-core AVX-512 machine, 32×50 k 784 takes 53 µs on one
/// thread and 72 µs on two. So products with `m·n·k` below ``singleThreadedBelow`` run on one
/// thread and the rest on the library's count. The count is set per product under one lock held
/// through the call, because it is process-wide and decides the bits of some products (OpenBLAS
/// splits `A·Bᵀ` differently on one thread and on two): the same shape always runs on the same
/// number of threads, whichever threads of the process call.
struct CBLASFunctions: @unchecked Sendable {
    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float,
        UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
        UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void

    /// Products with fewer multiply-adds than this run on one thread.
    static let singleThreadedBelow = 1 << 22

    let sgemm: SGEMM
    /// `openblas_set_num_threads` (or MKL's `MKL_Set_Num_Threads`) and the library's thread
    /// count, when it has more than one.
    private let threadControl: (set: SetThreads, threads: Int32)?
    /// Whether small products are sent to one thread.
    var controlsThreads: Bool { threadControl != nil }

    init(sgemm: SGEMM, setThreads: SetThreads? = nil, threads: Int? = nil) {
        self.sgemm = sgemm
        if let setThreads, let threads, threads > 1 {
            threadControl = (setThreads, Int32(threads))
        } else {
            threadControl = nil
        }
    }

    private static let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112

    @inline(__always)
    func call(transA: Transpose, transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        // No closure around the call: this runs several times per training step.
        if let threadControl {
            ThreadSetting.shared.acquire(m * n * k < Self.singleThreadedBelow ? 1 : threadControl.threads, set: threadControl.set)
        }
        sgemm(Self.rowMajor, transA == .none ? Self.noTrans : Self.trans,
              transB == .none ? Self.noTrans : Self.trans,
              Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        if threadControl != nil { ThreadSetting.shared.release() }
    }
}

/// The thread count last given to the library (OpenBLAS or MKL), behind the lock every
/// threaded-library product takes.
final class ThreadSetting: @unchecked Sendable {
    static let shared = ThreadSetting()
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var current: Int32 = -1   // guarded by lock

    private init() { pthread_mutex_init(lock, nil) }

    /// Takes the lock and gives the library `wanted` threads if it has another count; the product
    /// runs before ``release()``.
    @inline(__always)
    func acquire(_ wanted: Int32, set: CBLASFunctions.SetThreads) {
        pthread_mutex_lock(lock)
        if current != wanted {
            set(wanted)
            current = wanted
        }
    }

    @inline(__always)
    func release() { pthread_mutex_unlock(lock) }
}
