@main struct V { static func main() {} }
