import Testing
@testable import VigilAgent

/// `vigil agent` hands its options to `vigil-agent` as arguments: they must come back exactly as given.
@Suite struct AgentOptionsTests {
    @Test("options written as arguments parse back to the same options, values starting with '-' included")
    func roundTrip() throws {
        let given = [
            ["--cluster-id", "c1"],
            ["--cluster-id", "c1", "--driver", "--interval", "2.5", "--once"],
            ["--cluster-id", "c1", "--instance-id=-node", "--cluster-name", "ETL nightly", "--workers", "3", "--node-type", "i3.xlarge",
             "--spool-file", "/var/lib/vigil agent/spool"],
        ]
        for arguments in given {
            let options = try AgentOptions.parse(arguments)
            #expect(try AgentOptions.parse(options.arguments) == options, "\(arguments) -> \(options.arguments)")
        }
        let full = try AgentOptions.parse(given[2])
        #expect(full.instanceID == "-node")
        #expect(full.spoolFile == "/var/lib/vigil agent/spool")
    }

    @Test("each bad option is refused with its name")
    func refusals() {
        for (arguments, message) in [
            (["--cluster-id", "a b"], "--cluster-id: a cluster id is"), (["--cluster-id", "c", "--interval", "0"], "--interval must be between 1 and 3600"),
            (["--cluster-id", "c", "--interval", "3601"], "--interval must be between"), (["--cluster-id", "c", "--workers=-1"], "--workers must be between"),
            ([], "--cluster-id"),
        ] {
            #expect(throws: (any Error).self, "\(arguments)") { try AgentOptions.parse(arguments) }
            do { _ = try AgentOptions.parse(arguments) } catch {
                #expect(AgentOptions.message(for: error).contains(message), "\(arguments): \(AgentOptions.message(for: error))")
            }
        }
    }
}
