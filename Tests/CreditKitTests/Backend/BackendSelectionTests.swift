import Testing
@testable import CreditKit
import Foundation

@Suite("BLAS loading and the OpenBLAS core type")
struct BackendSelectionTests {
    static let avx512Flags: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    @Test func misdetectedAVX512XeonIsCorrectedToSkylakeX() {
        let xeon = CPUFeatures(vendor: "GenuineIntel", modelName: "Intel(R) Xeon(R)", flags: Self.avx512Flags)
        #expect(OpenBLASCoreType.correction(reportedCore: "Prescott", cpu: xeon) == "SkylakeX")
        #expect(OpenBLASCoreType.correction(reportedCore: "Haswell", cpu: xeon) == "SkylakeX")
        #expect(OpenBLASCoreType.correction(reportedCore: "SkylakeX", cpu: xeon) == nil)
        #expect(OpenBLASCoreType.correction(reportedCore: "CooperLake", cpu: xeon) == nil)
    }

    @Test func correctDetectionsAreLeftAlone() {
        let zen3 = CPUFeatures(vendor: "AuthenticAMD", modelName: "AMD EPYC", flags: ["avx", "avx2", "fma"])
        #expect(OpenBLASCoreType.correction(reportedCore: "Zen", cpu: zen3) == nil)
        #expect(OpenBLASCoreType.correction(reportedCore: "Prescott", cpu: zen3) == "Zen")
        let intelAVX2 = CPUFeatures(vendor: "GenuineIntel", modelName: "Core i7", flags: ["avx", "avx2", "fma"])
        #expect(OpenBLASCoreType.correction(reportedCore: "Nehalem", cpu: intelAVX2) == "Haswell")
        let old = CPUFeatures(vendor: "GenuineIntel", modelName: "Core 2", flags: ["sse2", "ssse3"])
        #expect(OpenBLASCoreType.correction(reportedCore: "Core2", cpu: old) == nil)
    }

    @Test func cpuinfoIsParsed() {
        let text = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        model name\t: Intel(R) Xeon(R) Platinum 8375C CPU
        flags\t\t: fpu sse2 avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl

        processor\t: 1
        vendor_id\t: GenuineIntel
        """
        let cpu = CPUFeatures.parse(cpuinfo: text)
        #expect(cpu.vendor == "GenuineIntel")
        #expect(cpu.modelName == "Intel(R) Xeon(R) Platinum 8375C CPU")
        #expect(cpu.vectorClass == .avx512)
    }

    @Test func blasCanBeDisabledOrMissing() {
        let disabled = BLASLoader.load(request: "none")
        #expect(disabled.isPortable)
        let missing = BLASLoader.load(request: "/nonexistent/libnothing.so")
        #expect(missing.isPortable)
        #expect(missing.notes.contains { $0.contains("/nonexistent/libnothing.so") })
    }

    @Test func libraryNamesAreAlsoLookedForInCondaPythonAndMKLEnvironments() {
        let environment = ["CONDA_PREFIX": "/opt/conda/envs/lab", "VIRTUAL_ENV": "/home/u/venv", "MKLROOT": "/opt/intel/mkl"]
        let present: Set = ["/opt/conda/envs/lab/lib/libmkl_rt.so.3", "/opt/intel/mkl/lib/intel64/libmkl_rt.so.3"]
        let found = BLASLoader.locations(of: "libmkl_rt.so.3", environment: environment, exists: present.contains)
        // The loader's own search path first, then the environments' lib directories that hold the file.
        #expect(found == ["libmkl_rt.so.3", "/opt/conda/envs/lab/lib/libmkl_rt.so.3", "/opt/intel/mkl/lib/intel64/libmkl_rt.so.3"])
        #expect(BLASLoader.locations(of: "libmkl_rt.so.3", environment: [:], exists: { _ in true }) == ["libmkl_rt.so.3"])
        // An empty variable names no directory (not "/lib").
        #expect(BLASLoader.locations(of: "libmkl_rt.so.3", environment: ["CONDA_PREFIX": "", "MKLROOT": ""], exists: { _ in true })
                == ["libmkl_rt.so.3"])
        // A path is taken as given.
        #expect(BLASLoader.locations(of: "/opt/x/libblas.so", environment: environment, exists: { _ in true }) == ["/opt/x/libblas.so"])
    }

    @Test func aLibraryNamedByPathIsKnownByWhatItExports() throws {
        // OpenBLAS named by its path (CREDITKIT_BLAS=/path) is recognised as OpenBLAS, not "custom",
        // so `credit info` and `credit bench` name it. Runs where the process already uses OpenBLAS,
        // so that loading it again sets no environment variable while other tests run.
        guard LinearAlgebraBackend.shared.kind == .openBLAS, let path = LinearAlgebraBackend.shared.libraryPath else { return }
        let backend = BLASLoader.load(request: path)
        #expect(backend.kind == .openBLAS)
        #expect(backend.coreType != nil)
    }
}
