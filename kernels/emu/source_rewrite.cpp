#include "source_rewrite.h"
#include "emu_abi.h"
#include <cctype>
#include <cstdio>

namespace emu
{
namespace
{
bool ident_start(char c) { return std::isalpha((unsigned char)c) || c == '_'; }
bool ident_char(char c) { return std::isalnum((unsigned char)c) || c == '_'; }

struct Scanner
{
    const std::string& s;
    size_t i = 0;
    std::string file;
    int line = 1;
    explicit Scanner(const std::string& text) : s(text) {}

    std::string where() const { return file + ":" + std::to_string(line); }
    void skip_ws()
    {
        while (i < s.size() && std::isspace((unsigned char)s[i])) { if (s[i] == '\n') line++; i++; }
    }
    // Index just past the string or char literal starting at j.
    size_t literal_end(size_t j) const
    {
        const char q = s[j];
        for (j++; j < s.size() && s[j] != q; j++) if (s[j] == '\\') j++;
        return j + 1;
    }
    // Index of the ')' matching the '(' at j (or npos).
    size_t match_paren(size_t j) const
    {
        int depth = 0;
        for (; j < s.size(); j++)
        {
            const char c = s[j];
            if (c == '"' || c == '\'') { j = literal_end(j) - 1; continue; }
            if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') { if (--depth == 0) return j; }
        }
        return std::string::npos;
    }
    std::string peek_ident(size_t j) const
    {
        while (j < s.size() && std::isspace((unsigned char)s[j])) j++;
        size_t k = j;
        while (k < s.size() && ident_char(s[k])) k++;
        return s.substr(j, k - j);
    }
};

std::string trim(const std::string& t)
{
    size_t a = 0, b = t.size();
    while (a < b && std::isspace((unsigned char)t[a])) a++;
    while (b > a && std::isspace((unsigned char)t[b - 1])) b--;
    return t.substr(a, b - a);
}

// Splits at top-level occurrences of `sep` (outside parens, brackets and literals).
std::vector<std::string> split_top(const std::string& t, char sep)
{
    std::vector<std::string> parts;
    int depth = 0;
    size_t start = 0;
    for (size_t j = 0; j < t.size(); j++)
    {
        const char c = t[j];
        if (c == '"' || c == '\'')
        {
            const char q = c;
            for (j++; j < t.size() && t[j] != q; j++) if (t[j] == '\\') j++;
            continue;
        }
        if (c == '(' || c == '[' || c == '{') depth++;
        else if (c == ')' || c == ']' || c == '}') depth--;
        else if (c == sep && depth == 0)
        {
            // ':' splits an asm statement's sections; at top level '::' is two of them (an empty section), since
            // operand expressions, where a C++ '::' could appear, sit inside parentheses
            parts.push_back(t.substr(start, j - start));
            start = j + 1;
        }
    }
    parts.push_back(t.substr(start));
    return parts;
}

// The concatenated contents of the string literals in t (escapes kept as written; PTX templates need none).
bool string_contents(const std::string& t, std::string& out)
{
    out.clear();
    size_t j = 0;
    for (;;)
    {
        while (j < t.size() && std::isspace((unsigned char)t[j])) j++;
        if (j >= t.size()) return !out.empty() || t.find('"') != std::string::npos;
        if (t[j] != '"') return false;
        size_t k = j + 1;
        for (; k < t.size() && t[k] != '"'; k++) { if (t[k] == '\\') k++; }
        out += t.substr(j + 1, k - j - 1);
        j = k + 1;
    }
}

// The one multi-statement form allowed: an instruction whose result is a predicate, turned into a register
// (inline asm has no predicate operands):  "{ .reg .pred P; INSTR P, %1, ...; selp.u32 %0, 1, 0, P; }".
// It becomes INSTR's twin called with (%0, %1, ...): the twin writes the predicate as 0/1 into %0.
bool unwrap_predicate_idiom(std::string& t, std::string& error)
{
    if (t.empty() || t[0] != '{') return true;
    auto fail = [&] { error = "asm(\"" + t + "\"): the only braced form emulated is { .reg .pred P; INSTR P, ...; selp.u32 %0, 1, 0, P; }"; return false; };
    size_t close = t.rfind('}');
    if (close == std::string::npos) return fail();
    std::vector<std::string> st;
    for (auto& part : split_top(t.substr(1, close - 1), ';')) { std::string x = trim(part); if (!x.empty()) st.push_back(x); }
    if (st.size() != 3 || st[0].compare(0, 10, ".reg .pred") != 0) return fail();
    const std::string pred = trim(st[0].substr(10));
    const size_t sp = st[1].find_first_of(" \t");
    if (pred.empty() || sp == std::string::npos) return fail();
    std::string ops = trim(st[1].substr(sp));
    if (ops.compare(0, pred.size() + 1, pred + ",") != 0) return fail();
    std::string sel = st[2];
    for (char& c : sel) if (std::isspace((unsigned char)c)) c = ' ';
    std::string compact;
    for (char c : sel) if (c != ' ') compact += c;
    if (compact != "selp.u32%0,1,0," + pred && compact != "selp.b32%0,1,0," + pred) return fail();
    // renumber: the instruction's %1, %2, ... follow %0, which it now writes first
    t = st[1].substr(0, sp) + " %0, " + trim(ops.substr(pred.size() + 1));
    return true;
}

bool rewrite_asm(const std::string& body, std::string& out, std::string& error)
{
    auto sections = split_top(body, ':');
    std::string tmpl;
    if (!string_contents(sections[0], tmpl)) { error = "asm template is not a string literal"; return false; }
    std::string t = trim(tmpl);
    if (!unwrap_predicate_idiom(t, error)) return false;
    while (!t.empty() && (t.back() == ';' || std::isspace((unsigned char)t.back()))) t.pop_back();
    if (t.empty() || t[0] == '{' || t.find(';') != std::string::npos || t.find('\n') != std::string::npos)
    {
        error = "asm(\"" + tmpl + "\") holds more than one instruction: keep each PTX instruction in its own wrapper in common.cuh";
        return false;
    }
    size_t sp = 0;
    while (sp < t.size() && !std::isspace((unsigned char)t[sp])) sp++;
    std::string twin = t.substr(0, sp);
    for (char& c : twin) if (c == '.' || c == ':') c = '_';   // shared::cta -> shared__cta
    // operands must be referenced as %0, %1, ... in order, so the twin's parameters follow the instruction's
    int expect = 0;
    for (size_t j = sp; j < t.size(); j++)
        if (t[j] == '%' && j + 1 < t.size() && std::isdigit((unsigned char)t[j + 1]))
        {
            int n = 0;
            while (j + 1 < t.size() && std::isdigit((unsigned char)t[j + 1])) n = n * 10 + (t[++j] - '0');
            if (n != expect) { error = "asm(\"" + tmpl + "\"): operands must appear as %0, %1, ... in order"; return false; }
            expect++;
        }
    std::vector<std::string> args;
    for (size_t sec = 1; sec <= 2 && sec < sections.size(); sec++)
    {
        if (trim(sections[sec]).empty()) continue;
        for (auto& op : split_top(sections[sec], ','))
        {
            std::string o = trim(op);
            if (!o.empty() && o[0] == '[') o = trim(o.substr(o.find(']') + 1));   // [name] "c"(expr)
            const size_t q = o.find('"', 1);
            const size_t lp = o.find('(', q == std::string::npos ? 0 : q);
            if (o.empty() || o[0] != '"' || q == std::string::npos || lp == std::string::npos || o.back() != ')')
            {
                error = "asm operand '" + o + "' is not \"constraint\"(expression)";
                return false;
            }
            args.push_back(o.substr(lp));   // "(expr)"
        }
    }
    if ((int)args.size() != expect)
    {
        error = "asm(\"" + tmpl + "\") names " + std::to_string(expect) + " operands but lists " + std::to_string(args.size());
        return false;
    }
    out = "::mantis_ptx::" + twin + "(";
    for (size_t k = 0; k < args.size(); k++) out += (k ? ", " : "") + args[k];
    out += ")";
    return true;
}

int g_tag = 0;

bool rewrite_shared(const std::string& decl, bool is_extern, std::string& out, std::string& error)
{
    std::string d = trim(decl);
    if (split_top(d, '=').size() > 1) { error = "a __shared__ variable cannot have an initializer"; return false; }
    if (split_top(d, ',').size() > 1) { error = "declare one __shared__ variable per statement"; return false; }
    std::string align;
    for (size_t a; (a = d.find("alignas")) != std::string::npos;)
    {
        size_t lp = d.find('(', a);
        int depth = 0;
        size_t rp = lp;
        for (; rp < d.size(); rp++) { if (d[rp] == '(') depth++; else if (d[rp] == ')' && --depth == 0) break; }
        align = d.substr(lp + 1, rp - lp - 1);
        d = trim(d.substr(0, a) + " " + d.substr(rp + 1));
    }
    const size_t br = d.find('[');
    std::string head = trim(br == std::string::npos ? d : d.substr(0, br));
    const std::string dims = br == std::string::npos ? "" : d.substr(br);
    size_t k = head.size();
    while (k > 0 && ident_char(head[k - 1])) k--;
    const std::string name = head.substr(k), type = trim(head.substr(0, k));
    if (name.empty() || type.empty()) { error = "cannot read the __shared__ declaration '" + decl + "'"; return false; }
    if (is_extern)
    {
        if (trim(dims) != "[]") { error = "extern __shared__ '" + name + "' must be an unsized array"; return false; }
        out = type + "* const " + name + " = reinterpret_cast<" + type + "*>(__mantis_cur->dynamic_smem)";
        return true;
    }
    const std::string tag = "__mantis_smem_tag_" + std::to_string(g_tag++);
    const std::string ptr_type = dims.empty() ? type + "*" : type + "(*)" + dims;
    std::string al = "alignof(" + type + ")";
    if (!align.empty()) al = "(alignof(" + type + ") > (" + align + ") ? alignof(" + type + ") : (" + align + "))";
    out = "static char " + tag + "; auto& " + name + " = *reinterpret_cast<" + ptr_type + ">(__mantis_api->static_smem(&" + tag +
          ", sizeof(" + type + dims + "), " + al + ", \"" + name + "\"))";
    return true;
}
}   // namespace

RewriteResult rewrite_source(const std::string& text, const std::string& user_dir)
{
    RewriteResult r;
    Scanner sc(text);
    std::string& out = r.text;
    out.reserve(text.size() + 4096);
    bool user = false;
    bool pending_kernel = false, pending_global = false;
    std::string pending_bounds;
    const std::string& s = text;
    auto fail = [&](const std::string& msg) { r.ok = false; r.error = sc.where() + ": " + msg; return r; };

    while (sc.i < s.size())
    {
        const char c = s[sc.i];
        // line markers: # 12 "file" flags
        if (c == '#' && (sc.i == 0 || s[sc.i - 1] == '\n'))
        {
            size_t e = s.find('\n', sc.i);
            if (e == std::string::npos) e = s.size();
            std::string ln = s.substr(sc.i, e - sc.i);
            unsigned int num = 0;
            char file[4096];
            if (std::sscanf(ln.c_str(), "# %u \"%4095[^\"]\"", &num, file) == 2)
            {
                sc.file = file;
                sc.line = (int)num - 1;
                user = sc.file.compare(0, user_dir.size(), user_dir) == 0;
            }
            out.append(ln);
            sc.i = e;
            continue;
        }
        if (c == '\n') { sc.line++; out.push_back(c); sc.i++; continue; }
        if (c == '"' || c == '\'')
        {
            size_t e = sc.literal_end(sc.i);
            out.append(s, sc.i, e - sc.i);
            sc.i = e;
            continue;
        }
        if (!ident_start(c) || (sc.i > 0 && ident_char(s[sc.i - 1])))
        {
            out.push_back(c);
            sc.i++;
            continue;
        }
        size_t e = sc.i;
        while (e < s.size() && ident_char(s[e])) e++;
        const std::string id = s.substr(sc.i, e - sc.i);
        if (!user)
        {
            out.append(id);
            sc.i = e;
            continue;
        }
        if (id == "asm" || id == "__asm__" || id == "__asm")
        {
            size_t j = e;
            for (;;)
            {
                std::string q = sc.peek_ident(j);
                if (q != "volatile" && q != "__volatile__") break;
                j = s.find(q, j) + q.size();
            }
            while (j < s.size() && std::isspace((unsigned char)s[j])) j++;
            if (j >= s.size() || s[j] != '(') return fail("asm without '('");
            const size_t close = sc.match_paren(j);
            if (close == std::string::npos) return fail("unterminated asm");
            std::string call, err;
            if (!rewrite_asm(s.substr(j + 1, close - j - 1), call, err)) return fail(err);
            out.append(call);
            for (size_t k = sc.i; k <= close; k++) if (s[k] == '\n') { sc.line++; out.push_back('\n'); }
            sc.i = close + 1;
            continue;
        }
        if (id == "static" && sc.peek_ident(e) == "__shared__") { sc.i = e; continue; }
        const bool extern_shared = id == "extern" && sc.peek_ident(e) == "__shared__";
        if (id == "__shared__" || extern_shared)
        {
            if (extern_shared) e = s.find("__shared__", e) + 10;
            size_t semi = e;
            int depth = 0;
            for (; semi < s.size(); semi++)
            {
                if (s[semi] == '(' || s[semi] == '[') depth++;
                else if (s[semi] == ')' || s[semi] == ']') depth--;
                else if (s[semi] == ';' && depth == 0) break;
            }
            std::string decl, err;
            if (!rewrite_shared(s.substr(e, semi - e), extern_shared, decl, err)) return fail(err);
            out.append(decl);
            for (size_t k = e; k < semi; k++) if (s[k] == '\n') { sc.line++; out.push_back('\n'); }
            sc.i = semi;   // the ';' is copied next
            continue;
        }
        if (id == "__global__")
        {
            std::string before = trim(out.substr(out.size() > 64 ? out.size() - 64 : 0));
            pending_kernel = before.size() >= 10 && before.compare(before.size() - 10, 10, "extern \"C\"") == 0;
            pending_global = true;
            pending_bounds.clear();
            sc.i = e;
            continue;
        }
        if (id == "__launch_bounds__")
        {
            size_t j = e;
            while (j < s.size() && std::isspace((unsigned char)s[j])) j++;
            const size_t close = sc.match_paren(j);
            if (j >= s.size() || s[j] != '(' || close == std::string::npos) return fail("malformed __launch_bounds__");
            pending_bounds = split_top(s.substr(j + 1, close - j - 1), ',')[0];
            sc.i = close + 1;
            continue;
        }
        out.append(id);
        sc.i = e;
        if (pending_global && id != "void" && id != "static" && id != "inline")
        {
            size_t j = e;
            while (j < s.size() && std::isspace((unsigned char)s[j])) j++;
            if (j < s.size() && s[j] == '(')
            {
                if (pending_kernel)
                {
                    bool seen = false;
                    for (auto& k : r.kernels) if (k.name == id) { seen = true; if (k.launch_bounds.empty()) k.launch_bounds = pending_bounds; }
                    if (!seen) r.kernels.push_back(KernelEntry{ id, trim(pending_bounds) });
                }
                pending_global = pending_kernel = false;
            }
        }
    }
    return r;
}

std::string module_appendix(const std::vector<KernelEntry>& kernels)
{
    std::string a = R"(
// ---- generated by the emulated NVRTC: argument unpackers and the module table ----
extern "C" { __attribute__((visibility("hidden"))) const MantisEmuApi* __mantis_api; __attribute__((visibility("hidden"))) MantisThread* __mantis_cur; }
namespace __mantis_gen {
template <unsigned... I> struct seq {};
template <unsigned N, unsigned... I> struct make_seq : make_seq<N - 1, N - 1, I...> {};
template <unsigned... I> struct make_seq<0, I...> { typedef seq<I...> type; };
template <class T> struct is_ptr { enum { value = 0 }; };
template <class T> struct is_ptr<T*> { enum { value = 1 }; };
template <class F> struct sig;
template <class... A> struct sig<void (*)(A...)>
{
    static constexpr int count = sizeof...(A);
    static constexpr unsigned char pointer[sizeof...(A) + 1] = { (unsigned char)is_ptr<A>::value..., 0 };
    static constexpr unsigned int size[sizeof...(A) + 1] = { (unsigned int)sizeof(A)..., 0 };
    // each argument copied out of the launch's buffer (which may be less aligned than the type, e.g. a
    // 64-byte aligned CUtensorMap passed by value)
    template <class T> static T arg(void* p) { typename std::remove_cv<T>::type v; __builtin_memcpy((void*)&v, p, sizeof v); return v; }
    template <unsigned... I> static void call(void (*f)(A...), void** p, seq<I...>) { f(arg<A>(p[I])...); (void)p; }
    static void launch(void (*f)(A...), void** p) { call(f, p, typename make_seq<sizeof...(A)>::type()); }
};
}
)";
    for (auto& k : kernels)
        a += "static void __mantis_launch_" + k.name + "(void** p) { __mantis_gen::sig<decltype(&" + k.name + ")>::launch(&" + k.name + ", p); }\n";
    a += "static const MantisKernelInfo __mantis_kernels[] = {\n";
    for (auto& k : kernels)
        a += "  { \"" + k.name + "\", &__mantis_launch_" + k.name + ", __mantis_gen::sig<decltype(&" + k.name + ")>::count, __mantis_gen::sig<decltype(&" +
             k.name + ")>::pointer, __mantis_gen::sig<decltype(&" + k.name + ")>::size, " + (k.launch_bounds.empty() ? "1024" : "(int)(" + k.launch_bounds + ")") +
             " },\n";
    a += "  { nullptr, nullptr, 0, nullptr, nullptr, 0 }\n};\n";
    a += "extern \"C\" { __attribute__((visibility(\"default\"))) MantisModuleInfo mantis_emu_module = { " + std::to_string(MANTIS_EMU_ABI) + ", " +
         std::to_string(kernels.size()) + ", __mantis_kernels, &__mantis_api, &__mantis_cur }; }\n";
    return a;
}
}   // namespace emu
