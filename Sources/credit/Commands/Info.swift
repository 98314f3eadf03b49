import ArgumentParser
import CreditKit
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the GEMM backend (library, core type, threads), the CPU, and where datasets are found.")

    @Option(name: .customLong("data"), help: ArgumentHelp("A data root to include in the search.", valueName: "dir"))
    var dataRoot: String?

    @Flag(name: .customLong("gemm-rate"), help: .hidden)
    var gemmRate = false

    func run() throws {
        let backend = LinearAlgebraBackend.shared
        if gemmRate {
            // One number for HeldBackBLAS: this backend's sgemm GFLOP/s.
            Console.out(String(format: "%.3f", backend.measuredGEMMRate()))
            return
        }
        let cpu = CPUFeatures.current()
        Console.out("CreditKit \(CreditKit.version)")
        Console.out("CPU:        \(cpu.modelName.isEmpty ? "unknown" : cpu.modelName) (\(cpu.vectorClass), \(ProcessInfo.processInfo.activeProcessorCount) cores)")
        Console.out("GEMM:       \(backend.name)" + (backend.libraryPath.map { " — \($0)" } ?? ""))
        if let configuration = backend.configuration { Console.out("build:      \(configuration)") }
        Console.out("core type:  \(backend.coreType ?? (backend.isPortable ? "portable SIMD8 kernel" : "not reported"))")
        Console.out("threads:    \(backend.threads.map(String.init) ?? "not reported")")
        for note in backend.notes { Console.out("note:       \(note)") }
        Console.out("elementwise: \(VectorKernels.description)")
        for line in HeldBackBLAS.report(backend) { Console.out(line) }
        Console.out("select with CREDITKIT_BLAS=auto|openblas|mkl|blis|system|accelerate|none|/path/to/lib.so")
        Console.out("        and CREDITKIT_VECTOR_KERNELS=auto|avx512|avx2|portable")
        Console.out("")
        let locator = DataLocator(explicitRoot: dataRoot)
        Console.out("data search path:")
        for root in locator.searchRoots {
            Console.out("  \(root)\(FileManager.default.fileExists(atPath: root) ? "" : "  (missing)")")
        }
        Console.out("  then download into \(locator.cacheRoot)")
        for name in DatasetName.allCases {
            guard let files = DatasetCatalog.files(of: name) else { continue }
            let found = locator.searchRoots.first { root in
                files.files.allSatisfy { FileManager.default.fileExists(atPath: root + "/" + files.folder + "/" + $0.name) }
            }
            let bundled = name == .digits ? " (also bundled)" : ""
            Console.out("  \(name.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(found.map { $0 + "/" + files.folder } ?? "not on disk")\(bundled)")
        }
    }
}
