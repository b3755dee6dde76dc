import Foundation
import Testing

extension MPIRunTests {
    /// The runnable examples in mpirun-examples/ do what their comments say.
    @Suite("examples")
    struct ExampleTests {
        @Test("MapExample squares in order on every worker")
        func mapExample() throws {
            let job = try MPIJob.run("MapExample", processes: 3)
            job.expectSuccess()
            #expect(
                job.standardOutput.contains("squares of 1...10 on 2 workers: [1, 4, 9, 16, 25, 36, 49, 64, 81, 100]"))
            #expect(job.standardOutput.contains("sum of squares of 1...100000: 333338333350000"))
        }

        @Test("SubmitExample counts primes through futures")
        func submitExample() throws {
            let job = try MPIJob.run("SubmitExample", processes: 3)
            job.expectSuccess()
            for line in ["below 10000: 1229", "below 100000: 9592", "below 200000: 17984", "below 300000: 25997"] {
                #expect(job.standardOutput.contains("primes \(line)"))
            }
        }

        @Test("CallbackExample's callbacks all run before the pool's block ends")
        func callbackExample() throws {
            let job = try MPIJob.run("CallbackExample", processes: 3)
            job.expectSuccess()
            for name in ["Ada", "Grace", "Barbara", "Frances"] {
                #expect(job.standardOutput.contains("Hello, \(name)! (from rank"))
            }
            #expect(job.standardOutput.hasSuffix("callbacks run: 4\n"))
        }

        @Test("Mandelbrot renders a PNG and reports its speedup over one worker")
        func mandelbrot() throws {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("mandelbrot-\(getpid()).png")
            defer { try? FileManager.default.removeItem(at: output) }
            let job = try MPIJob.run(
                "Mandelbrot", processes: 3,
                arguments: ["--width", "320", "--height", "240", "--iterations", "300", "--output", output.path])
            job.expectSuccess()
            #expect(job.standardOutput.contains("1 worker: "))
            #expect(job.standardOutput.contains("2 workers: "))
            #expect(job.standardOutput.contains("speedup: "))
            let png = try Data(contentsOf: output)
            #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            // Palette image: 240 rows of 1 filter byte + 320 pixels, stored uncompressed.
            #expect(png.count > 240 * 321)
        }
    }
}
