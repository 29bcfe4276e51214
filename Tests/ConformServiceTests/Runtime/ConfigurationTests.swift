import ConformService
import RequirementService
import Testing

@Suite("Service configuration")
struct ConfigurationTests {
    @Test("defaults come from the service; the environment fills in what flags do not")
    func resolution() throws {
        let options = try ServiceOptions.parse(["--wire-port", "9101"])
        let configuration = try options.resolve(
            for: .requirement,
            environment: ["CONFORM_TLS_DIR": "/tls", "CONFORM_WIRE_PORT": "1", "CONFORM_DB_PASSWORD": "secret", "CONFORM_DB_PORT": "7432"]
        )
        #expect(configuration.wirePort == 9101)
        #expect(configuration.grpcPort == 7201)
        #expect(configuration.database.port == 7432)
        #expect(configuration.database.username == "conform_requirement")
        #expect(configuration.database.schema == "requirement")
        #expect(configuration.database.password == "secret")
    }

    @Test("a missing or bad setting is named, with its flag and its variable")
    func errorsNameTheSetting() throws {
        let options = try ServiceOptions.parse([])
        let missing = #expect(throws: ConfigurationError.self) { try options.resolve(for: .requirement, environment: [:]) }
        #expect(missing?.description == "missing setting: pass --tls-dir or set CONFORM_TLS_DIR")
        let badPort = #expect(throws: ConfigurationError.self) {
            try options.resolve(for: .requirement, environment: ["CONFORM_TLS_DIR": "/tls", "CONFORM_GRPC_PORT": "http"])
        }
        #expect(badPort?.description.contains("CONFORM_GRPC_PORT is 'http'") == true)
        let badLevel = #expect(throws: ConfigurationError.self) {
            try options.resolve(for: .requirement, environment: ["CONFORM_TLS_DIR": "/tls", "CONFORM_LOG_LEVEL": "loud"])
        }
        #expect(badLevel?.description.contains("CONFORM_LOG_LEVEL") == true)
    }
}
