import NIOHTTP1

extension HTTPMethodName {
    var nio: HTTPMethod { self == .GET ? .GET : .POST }
}
