#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Finds and loads a BLAS library with `dlopen`, resolving `cblas_sgemm` once.
enum BLASLoader {
    struct Candidate {
        var kind: LinearAlgebraBackend.Kind
        var files: [String]
    }

    static var platformCandidates: [Candidate] {
        #if os(macOS)
        return [Candidate(kind: .accelerate, files: ["/System/Library/Frameworks/Accelerate.framework/Accelerate"]),
                Candidate(kind: .openBLAS, files: ["libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib"])]
        #else
        return [
            Candidate(kind: .openBLAS, files: ["libopenblas.so.0", "libopenblas.so"]),
            Candidate(kind: .mkl, files: ["libmkl_rt.so.3", "libmkl_rt.so.2", "libmkl_rt.so"]),
            Candidate(kind: .blis, files: ["libblis.so.4", "libblis.so"]),
            Candidate(kind: .systemBLAS, files: ["libblas.so.3"]),
        ]
        #endif
    }

    /// `OPENBLAS_THREAD_TIMEOUT` unless the user chose one: OpenBLAS's idle threads spin for
    /// 2^n cycles before they sleep, 2²⁸ (a tenth of a second) by default — so between two products
    /// a spinning thread holds the core the training step's elementwise passes run on. Measured
    /// on a 2-core AVX-512 machine, 784-800-800-10 at batch 128: 1.5 ms of every step outside the
    /// products with the default, 0.8 ms with 2¹² cycles (the products themselves no slower).
    static let openBLASThreadTimeout = "12"

    static func load(request: String?) -> LinearAlgebraBackend {
        let request = (request ?? "auto").trimmingCharacters(in: .whitespaces)
        var notes: [String] = []
        let setsTimeout = ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] == nil
        if setsTimeout { setenv("OPENBLAS_THREAD_TIMEOUT", openBLASThreadTimeout, 0) }
        let candidates: [Candidate]
        switch request.lowercased() {
        case "", "auto":
            candidates = platformCandidates
        case "none", "portable", "off":
            return LinearAlgebraBackend.portable.with(notes: ["CREDITKIT_BLAS=\(request): BLAS disabled"])
        case "openblas": candidates = platformCandidates.filter { $0.kind == .openBLAS }
        case "mkl": candidates = platformCandidates.filter { $0.kind == .mkl }
        case "blis": candidates = platformCandidates.filter { $0.kind == .blis }
        case "system": candidates = platformCandidates.filter { $0.kind == .systemBLAS }
        case "accelerate": candidates = platformCandidates.filter { $0.kind == .accelerate }
        default:
            candidates = [Candidate(kind: .custom, files: [request])]
        }
        let environment = ProcessInfo.processInfo.environment
        for candidate in candidates {
            for file in candidate.files.flatMap({ locations(of: $0, environment: environment) }) {
                switch open(file, kind: candidate.kind) {
                case .success(let backend):
                    var threading: [String] = []
                    if backend.kind == .openBLAS && setsTimeout {
                        threading.append("OPENBLAS_THREAD_TIMEOUT=\(openBLASThreadTimeout): idle OpenBLAS threads sleep after "
                                         + "2^\(openBLASThreadTimeout) cycles instead of spinning for 2^28")
                    }
                    if backend.sgemmFunctions?.controlsThreads == true {
                        threading.append("products under \(CBLASFunctions.singleThreadedBelow) multiply-adds run on one thread")
                    }
                    return backend.with(notes: notes + threading + backend.notes)
                case .failure(let reason):
                    notes.append("\(file): \(reason)")
                }
            }
        }
        if candidates.isEmpty {
            notes.append("CREDITKIT_BLAS=\(request): no such backend on this platform")
        }
        notes.append("no BLAS library loaded; using the portable Swift kernel")
        return LinearAlgebraBackend.portable.with(notes: notes)
    }

    /// Where to look for a library named without a directory: the loader's own search path
    /// first, then the `lib` directories of an active conda or Python environment and of
    /// `MKLROOT`, where `conda install mkl` and `pip install mkl` put `libmkl_rt` (off the
    /// loader's path unless `LD_LIBRARY_PATH` names them). Only files that exist are listed.
    static func locations(of file: String, environment: [String: String],
                          exists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> [String] {
        guard !file.contains("/") else { return [file] }
        let set = { (name: String) in environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let directories = ["CONDA_PREFIX", "VIRTUAL_ENV", "MKLROOT"].compactMap(set).map { "\($0)/lib" }
            + [set("MKLROOT")].compactMap { $0 }.map { "\($0)/lib/intel64" }
        return [file] + directories.map { "\($0)/\(file)" }.filter(exists)
    }

    private struct LoadFailure: Error, CustomStringConvertible {
        var description: String
    }

    private static func open(_ file: String, kind: LinearAlgebraBackend.Kind) -> Result<LinearAlgebraBackend, LoadFailure> {
        guard var handle = dlopen(file, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(LoadFailure(description: "not loadable (\(lastError()))"))
        }
        var notes: [String] = []
        let cpu = CPUFeatures.current()
        if kind == .openBLAS || kind == .systemBLAS || kind == .custom,
           let reported = coreName(handle) {
            let userChoice = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
            if let userChoice, !userChoice.isEmpty {
                notes.append("OPENBLAS_CORETYPE=\(userChoice) set by the user; OpenBLAS uses \(reported)")
            } else if let corrected = OpenBLASCoreType.correction(reportedCore: reported, cpu: cpu) {
                // OpenBLAS reads OPENBLAS_CORETYPE only while it initializes: unload, set, reload.
                dlclose(handle)
                setenv("OPENBLAS_CORETYPE", corrected, 1)
                guard let reloaded = dlopen(file, RTLD_NOW | RTLD_LOCAL) else {
                    return .failure(LoadFailure(description: "reload with OPENBLAS_CORETYPE=\(corrected) failed (\(lastError()))"))
                }
                handle = reloaded
                let now = coreName(handle) ?? "?"
                notes.append("OpenBLAS detected \(reported) on a CPU with \(cpu.vectorClass); "
                             + "set OPENBLAS_CORETYPE=\(corrected) before initialization (now \(now))")
            }
        }
        guard let symbol = dlsym(handle, "cblas_sgemm") else {
            dlclose(handle)
            return .failure(LoadFailure(description: "has no cblas_sgemm"))
        }
        let threads = threadCount(handle)
        // MKL's C entry point; its lowercase `mkl_set_num_threads` symbol is the Fortran one, which
        // takes a pointer.
        let setThreads = (dlsym(handle, "openblas_set_num_threads") ?? dlsym(handle, "MKL_Set_Num_Threads"))
            .map { unsafeBitCast($0, to: CBLASFunctions.SetThreads.self) }
        let functions = CBLASFunctions(sgemm: unsafeBitCast(symbol, to: CBLASFunctions.SGEMM.self),
                                       setThreads: setThreads, threads: threads)
        // A library named by path, or the system's libblas.so.3, is known by what it exports.
        let (core, mkl) = (coreName(handle), mklVersion(handle))
        var resolvedKind = kind
        if kind == .systemBLAS || kind == .custom {
            if core != nil { resolvedKind = .openBLAS } else if mkl != nil { resolvedKind = .mkl }
        }
        return .success(LinearAlgebraBackend(
            kind: resolvedKind, libraryPath: resolvedPath(handle, symbol: symbol) ?? file,
            configuration: configuration(handle) ?? mkl, coreType: core, threads: threads,
            notes: notes, sgemm: functions))
    }

    private static func lastError() -> String {
        dlerror().map { String(cString: $0) } ?? "unknown error"
    }

    private typealias StringGetter = @convention(c) () -> UnsafePointer<CChar>?
    private typealias IntGetter = @convention(c) () -> Int32

    private static func string(_ handle: UnsafeMutableRawPointer, _ name: String) -> String? {
        guard let symbol = dlsym(handle, name) else { return nil }
        let getter = unsafeBitCast(symbol, to: StringGetter.self)
        return getter().map { String(cString: $0).trimmingCharacters(in: .whitespaces) }
    }

    private static func coreName(_ handle: UnsafeMutableRawPointer) -> String? {
        string(handle, "openblas_get_corename")
    }

    private static func configuration(_ handle: UnsafeMutableRawPointer) -> String? {
        string(handle, "openblas_get_config")
    }

    /// MKL's own description of its build (`MKL_Get_Version_String`), e.g. "Intel(R) oneAPI Math
    /// Kernel Library Version 2026.2-Product Build …".
    private static func mklVersion(_ handle: UnsafeMutableRawPointer) -> String? {
        typealias VersionString = @convention(c) (UnsafeMutablePointer<CChar>?, Int32) -> Void
        guard let symbol = dlsym(handle, "MKL_Get_Version_String") else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        unsafeBitCast(symbol, to: VersionString.self)(&buffer, Int32(buffer.count - 1))
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.trimmingCharacters(in: .whitespaces)
    }

    private static func threadCount(_ handle: UnsafeMutableRawPointer) -> Int? {
        for name in ["openblas_get_num_threads", "mkl_get_max_threads", "bli_thread_get_num_threads"] {
            if let symbol = dlsym(handle, name) {
                return Int(unsafeBitCast(symbol, to: IntGetter.self)())
            }
        }
        return nil
    }

    /// The file a loaded library came from, read from the process's memory map (Linux), so that
    /// `credit info` shows e.g. `/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0`.
    private static func resolvedPath(_ handle: UnsafeMutableRawPointer, symbol: UnsafeMutableRawPointer) -> String? {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return nil }
        let address = UInt(bitPattern: symbol)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6 else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let low = UInt(range[0], radix: 16), let high = UInt(range[1], radix: 16) else { continue }
            if (low..<high).contains(address) { return fields[5...].joined(separator: " ") }
        }
        return nil
    }
}

extension LinearAlgebraBackend {
    func with(notes: [String]) -> LinearAlgebraBackend {
        LinearAlgebraBackend(kind: kind, libraryPath: libraryPath, configuration: configuration,
                             coreType: coreType, threads: threads, notes: notes, sgemm: sgemmFunctions)
    }
}
