import Testing
import VigilCore

@Suite("App names")
struct AppNameTests {
    @Test("2 to 30 lowercase letters, digits and hyphens", arguments: ["ab", "orders", "order-service-2", "9-lives", String(repeating: "a", count: 30)])
    func valid(name: String) {
        #expect(AppName.problem(name) == nil)
    }

    @Test("a name too short or too long says its length", arguments: [("", 0), ("a", 1), (String(repeating: "a", count: 31), 31)])
    func length(name: String, count: Int) throws {
        let problem = try #require(AppName.problem(name))
        #expect(problem.hasPrefix(AppName.rule))
        #expect(problem.hasSuffix("got \(count) character\(count == 1 ? "" : "s")"))
    }

    @Test("a character outside the rule is named, escaped so it prints safely", arguments: [
        ("Orders", "'O'"), ("my_app", "'_'"), ("my app", "' '"), ("app.v2", "'.'"), ("ünï", #"'\u{00FC}'"#), ("a\u{1B}b", #"'\u{1B}'"#),
        ("ab/../c", "'/'"),
    ])
    func character(name: String, shown: String) throws {
        let problem = try #require(AppName.problem(name))
        #expect(problem == "\(AppName.rule); got \(shown)")
    }
}
