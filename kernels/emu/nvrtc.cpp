// The NVRTC subset interop/NvrtcApi.cs declares, on the emulated device. "Compiling" a kernel source means:
// preprocess it with the host C++ compiler against emu_shim.h, rewrite inline PTX, __shared__ and __global__
// (source_rewrite.cpp), append argument unpackers, and build a shared object. The "PTX" or "CUBIN" handed back
// is that object behind a magic header; cuModuleLoadDataEx opens it. Built objects are cached on disk
// (MANTIS_EMU_CACHE, default ~/.cache/mantis/emu) keyed by the rewritten text, the flags and the compiler.
#include "emu.h"
#include "source_rewrite.h"
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace
{
enum : int
{
    SUCCESS = 0, OUT_OF_MEMORY = 1, PROGRAM_CREATION_FAILURE = 2, INVALID_INPUT = 3, INVALID_PROGRAM = 4, INVALID_OPTION = 5,
    COMPILATION = 6, INTERNAL_ERROR = 11,
};

struct Program
{
    std::string source, name;
    std::vector<std::pair<std::string, std::string>> headers;   // include name, text
    std::string log;
    std::string image;
    bool compiled = false;
};

std::map<void*, Program*>& programs()
{
    static std::map<void*, Program*> m;
    return m;
}

std::string read_file(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

bool write_file(const std::string& path, const std::string& data)
{
    std::ofstream f(path, std::ios::binary);
    f.write(data.data(), (std::streamsize)data.size());
    return (bool)f;
}

void mkdirs(const std::string& path)
{
    for (size_t i = 1; i <= path.size(); i++)
        if (i == path.size() || path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
}

// Runs argv, output (stdout and stderr) into `output`; returns the exit status (or -1).
int run(const std::vector<std::string>& argv, const std::string& log_path, std::string& output)
{
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) { output = "cannot start " + argv[0] + ": " + std::strerror(rc) + " (set MANTIS_EMU_CXX to a C++17 compiler)"; return -1; }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    output = read_file(log_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string compiler()
{
    const char* c = std::getenv("MANTIS_EMU_CXX");
    return c && *c ? c : "g++";
}

std::string compiler_identity(const std::string& tmp)
{
    static std::string id;
    if (id.empty())
    {
        std::string out;
        run({ compiler(), "--version" }, tmp + "/version.txt", out);
        id = out.substr(0, out.find('\n'));
    }
    return id;
}

// Where emu_shim.h lives: MANTIS_EMU_INCLUDE, else include/ beside this library.
std::string shim_dir()
{
    if (const char* e = std::getenv("MANTIS_EMU_INCLUDE")) return e;
    Dl_info info;
    if (dladdr((void*)&shim_dir, &info) && info.dli_fname)
    {
        std::string p = info.dli_fname;
        return p.substr(0, p.rfind('/')) + "/include";
    }
    return "include";
}

std::string cache_dir()
{
    if (const char* e = std::getenv("MANTIS_EMU_CACHE")) return e;
    if (const char* x = std::getenv("XDG_CACHE_HOME")) return std::string(x) + "/mantis/emu";
    const char* h = std::getenv("HOME");
    return std::string(h ? h : "/tmp") + "/.cache/mantis/emu";
}

std::string hash_hex(const std::string& data)
{
    uint64_t a = 0xcbf29ce484222325ull, b = 0x84222325cbf29ce4ull;
    for (unsigned char c : data) { a = (a ^ c) * 0x100000001b3ull; b = (b ^ (c + 0x9e)) * 0x100000001b3ull; b ^= b >> 29; }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
    return buf;
}

void remove_tree(const std::string& dir)
{
    std::string out;
    run({ "rm", "-rf", dir }, "/dev/null", out);
}

int compile(Program& p, const std::vector<std::string>& options)
{
    std::vector<std::string> user_flags;
    for (size_t i = 0; i < options.size(); i++)
    {
        const std::string& o = options[i];
        auto starts = [&](const char* pre) { return o.compare(0, std::strlen(pre), pre) == 0; };
        if (starts("-I") || starts("-D") || starts("-U"))
        {
            if (o.size() == 2) { if (i + 1 >= options.size()) return INVALID_OPTION; user_flags.push_back(o + options[++i]); }
            else user_flags.push_back(o);
        }
        else if (starts("--include-path=")) user_flags.push_back("-I" + o.substr(15));
        else if (starts("--define-macro=")) user_flags.push_back("-D" + o.substr(15));
        else if (starts("-std=") || starts("--std=") || starts("-arch=") || starts("--gpu-architecture=") || starts("--ptxas-options=") ||
                 o == "-lineinfo" || o == "--generate-line-info" || o == "--use_fast_math" || o == "-use_fast_math" || o == "-G" ||
                 o == "--device-debug" || starts("-default-device") || starts("-rdc=") || starts("--relocatable-device-code=") ||
                 starts("-fmad=") || starts("--fmad=") || starts("-maxrregcount=") || starts("--maxrregcount=") || o == "-w" ||
                 o == "--disable-warnings" || starts("-Werror"))
            continue;   // device-code options with no meaning on the host
        else { p.log = "nvrtc: error: unrecognized option " + o + "\n"; return INVALID_OPTION; }
    }

    char tmpl[] = "/tmp/mantis-emu-XXXXXX";
    const char* tmpdir_env = std::getenv("TMPDIR");
    std::string base = tmpdir_env && *tmpdir_env ? std::string(tmpdir_env) + "/mantis-emu-XXXXXX" : tmpl;
    std::vector<char> buf(base.begin(), base.end());
    buf.push_back(0);
    if (!mkdtemp(buf.data())) { p.log = "cannot create a temporary folder\n"; return INTERNAL_ERROR; }
    const std::string tmp = buf.data();
    struct Cleanup { std::string d; ~Cleanup() { remove_tree(d); } } cleanup{ tmp };

    const std::string src_dir = tmp + "/src/";
    mkdirs(src_dir);
    for (auto& [name, text] : p.headers)
    {
        std::string path = src_dir + name;
        mkdirs(path.substr(0, path.rfind('/')));
        write_file(path, text);
    }
    std::string src_name = p.name.empty() ? "kernel.cu" : p.name;
    for (char& c : src_name) if (c == '/') c = '_';
    write_file(src_dir + src_name, p.source);

    const std::string shim = shim_dir();
    std::vector<std::string> pre = { compiler(), "-E", "-std=c++17", "-x", "c++", "-D__CUDACC__", "-D__CUDACC_RTC__", "-DMANTIS_EMULATED_DEVICE=1",
                                     "-include", shim + "/emu_shim.h", "-I" + shim, "-I" + src_dir };
    pre.insert(pre.end(), user_flags.begin(), user_flags.end());
    pre.push_back(src_dir + src_name);
    pre.push_back("-o");
    pre.push_back(tmp + "/pre.ii");
    std::string out;
    if (run(pre, tmp + "/pre.log", out) != 0) { p.log = out; return COMPILATION; }

    emu::RewriteResult rw = emu::rewrite_source(read_file(tmp + "/pre.ii"), src_dir);
    if (!rw.ok)
    {
        std::string e = rw.error;
        size_t at = e.find(src_dir);
        if (at != std::string::npos) e.erase(at, src_dir.size());
        p.log = e + "\n";
        return COMPILATION;
    }
    std::string text = rw.text + emu::module_appendix(rw.kernels);
    std::string opt = "-O1";
    if (const char* o = std::getenv("MANTIS_EMU_OPT")) opt = o;
    std::vector<std::string> cc = { compiler(), "-std=c++17", opt, "-fPIC", "-shared", "-fvisibility=hidden", "-fno-strict-aliasing",
                                    "-Wno-unknown-pragmas", "-fpreprocessed", "-x", "c++", tmp + "/module.ii", "-o", tmp + "/module.so" };
    std::string key_input = text + "\n--flags:";
    for (size_t i = 1; i < cc.size(); i++) if (cc[i].find(tmp) == std::string::npos) key_input += cc[i] + " ";
    // the temp folder appears in the line markers: key on the text with it replaced
    for (size_t at; (at = key_input.find(tmp)) != std::string::npos;) key_input.replace(at, tmp.size(), "<tmp>");
    key_input += "\n--compiler:" + compiler_identity(tmp) + "\n--abi:" + std::to_string(MANTIS_EMU_ABI);
    const std::string key = hash_hex(key_input);
    const std::string cached = cache_dir() + "/" + key + ".so";
    std::string so = read_file(cached);
    if (so.empty())
    {
        write_file(tmp + "/module.ii", text);
        if (run(cc, tmp + "/cc.log", out) != 0)
        {
            for (size_t at; (at = out.find(src_dir)) != std::string::npos;) out.erase(at, src_dir.size());
            p.log = out;
            return COMPILATION;
        }
        so = read_file(tmp + "/module.so");
        mkdirs(cache_dir());
        const std::string part = cached + "." + std::to_string(getpid()) + ".tmp";
        if (write_file(part, so)) std::rename(part.c_str(), cached.c_str());
        for (size_t at; (at = out.find(src_dir)) != std::string::npos;) out.erase(at, src_dir.size());
        p.log = out;
    }
    uint64_t len = so.size();
    p.image = std::string("MANTISEMU1") + std::string((const char*)&len, 8) + so;
    p.compiled = true;
    return SUCCESS;
}
}   // namespace

MANTIS_EXPORT const char* nvrtcGetErrorString(int r)
{
    switch (r)
    {
    case 0: return "NVRTC_SUCCESS";
    case 1: return "NVRTC_ERROR_OUT_OF_MEMORY";
    case 2: return "NVRTC_ERROR_PROGRAM_CREATION_FAILURE";
    case 3: return "NVRTC_ERROR_INVALID_INPUT";
    case 4: return "NVRTC_ERROR_INVALID_PROGRAM";
    case 5: return "NVRTC_ERROR_INVALID_OPTION";
    case 6: return "NVRTC_ERROR_COMPILATION";
    case 7: return "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE";
    case 11: return "NVRTC_ERROR_INTERNAL_ERROR";
    default: return "NVRTC_ERROR unknown";
    }
}

// The language level of the CI's NVRTC (12.4): the emulator accepts what it accepts.
MANTIS_EXPORT int nvrtcVersion(int* major, int* minor)
{
    if (!major || !minor) return INVALID_INPUT;
    *major = 12;
    *minor = 4;
    return SUCCESS;
}

MANTIS_EXPORT int nvrtcGetNumSupportedArchs(int* n)
{
    if (!n) return INVALID_INPUT;
    *n = 1;
    return SUCCESS;
}

MANTIS_EXPORT int nvrtcGetSupportedArchs(int* archs)
{
    if (!archs) return INVALID_INPUT;
    archs[0] = 90;
    return SUCCESS;
}

MANTIS_EXPORT int nvrtcCreateProgram(void** prog, const char* src, const char* name, int n, const char* const* headers, const char* const* names)
{
    if (!prog || !src || n < 0 || (n > 0 && (!headers || !names))) return INVALID_INPUT;
    std::lock_guard<std::recursive_mutex> lock(emu::api_lock());
    auto* p = new Program{ src, name ? name : "default_program", {}, "", "", false };
    for (int i = 0; i < n; i++)
    {
        if (!headers[i] || !names[i]) { delete p; return INVALID_INPUT; }
        p->headers.emplace_back(names[i], headers[i]);
    }
    programs()[p] = p;
    *prog = p;
    return SUCCESS;
}

MANTIS_EXPORT int nvrtcDestroyProgram(void** prog)
{
    if (!prog) return INVALID_PROGRAM;
    std::lock_guard<std::recursive_mutex> lock(emu::api_lock());
    auto it = programs().find(*prog);
    if (it == programs().end()) return INVALID_PROGRAM;
    delete it->second;
    programs().erase(it);
    *prog = nullptr;
    return SUCCESS;
}

MANTIS_EXPORT int nvrtcCompileProgram(void* prog, int n, const char* const* options)
{
    std::lock_guard<std::recursive_mutex> lock(emu::api_lock());
    auto it = programs().find(prog);
    if (it == programs().end()) return INVALID_PROGRAM;
    if (n < 0 || (n > 0 && !options)) return INVALID_INPUT;
    std::vector<std::string> opts;
    for (int i = 0; i < n; i++) opts.push_back(options[i] ? options[i] : "");
    return compile(*it->second, opts);
}

static Program* compiled(void* prog)
{
    auto it = programs().find(prog);
    return it == programs().end() ? nullptr : it->second;
}

// The shape of every nvrtcGet*: a known program and a non-null out pointer, then `read`.
template <class T, class F> static int read_program(void* prog, T* out, F read)
{
    std::lock_guard<std::recursive_mutex> lock(emu::api_lock());
    Program* p = compiled(prog);
    if (!p) return INVALID_PROGRAM;
    if (!out) return INVALID_INPUT;
    read(*p, out);
    return SUCCESS;
}

// PTX is text with its terminating NUL; the "CUBIN" is the same image without it.
MANTIS_EXPORT int nvrtcGetPTXSize(void* prog, size_t* size)
{
    return read_program(prog, size, [](Program& p, size_t* n) { *n = p.image.size() + 1; });
}

MANTIS_EXPORT int nvrtcGetPTX(void* prog, char* out)
{
    return read_program(prog, out, [](Program& p, char* o) { std::memcpy(o, p.image.data(), p.image.size()); o[p.image.size()] = 0; });
}

MANTIS_EXPORT int nvrtcGetCUBINSize(void* prog, size_t* size)
{
    return read_program(prog, size, [](Program& p, size_t* n) { *n = p.image.size(); });
}

MANTIS_EXPORT int nvrtcGetCUBIN(void* prog, char* out)
{
    return read_program(prog, out, [](Program& p, char* o) { std::memcpy(o, p.image.data(), p.image.size()); });
}

MANTIS_EXPORT int nvrtcGetProgramLogSize(void* prog, size_t* size)
{
    return read_program(prog, size, [](Program& p, size_t* n) { *n = p.log.size() + 1; });
}

MANTIS_EXPORT int nvrtcGetProgramLog(void* prog, char* out)
{
    return read_program(prog, out, [](Program& p, char* o) { std::memcpy(o, p.log.c_str(), p.log.size() + 1); });
}
