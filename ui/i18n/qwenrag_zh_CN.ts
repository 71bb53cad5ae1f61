<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name></name>
    <message>
        <location filename="../documents_panel.py" line="+82"/>
        <location line="+1"/>
        <source>Word</source>
        <translation>Word</translation>
    </message>
    <message>
        <location line="-1"/>
        <location line="+1"/>
        <source>Excel</source>
        <translation>Excel</translation>
    </message>
    <message>
        <location line="-1"/>
        <source>Text</source>
        <translation>文本</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>PowerPoint</source>
        <translation>PowerPoint</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Indexing %1/%2</source>
        <translation>索引中 %1/%2</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+372"/>
        <source>Indexed</source>
        <translation>已索引</translation>
    </message>
    <message>
        <location line="-372"/>
        <location line="+372"/>
        <source>Indexing…</source>
        <translation>索引中…</translation>
    </message>
    <message>
        <location line="-372"/>
        <location line="+373"/>
        <source>Could not be read</source>
        <translation>无法读取</translation>
    </message>
    <message>
        <location line="-372"/>
        <location line="+371"/>
        <source>Not supported</source>
        <translation>不支持</translation>
    </message>
    <message>
        <location line="-371"/>
        <location line="+372"/>
        <source>Waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <location line="-367"/>
        <source>%n sheet(s)</source>
        <translation>%n 个工作表</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%n slide(s)</source>
        <translation>%n 张幻灯片</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%n page(s)</source>
        <translation>%n 页</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+335"/>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <location line="-335"/>
        <location line="+337"/>
        <source>Passages</source>
        <translation>段落数</translation>
    </message>
    <message>
        <location line="-337"/>
        <location line="+338"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="-38"/>
        <location filename="../settings_dialog.py" line="+151"/>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add &amp;files…</source>
        <translation>添加文件(&amp;F)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add f&amp;older…</source>
        <translation>添加文件夹(&amp;O)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Remove from library</source>
        <translation>从文档库移除(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Re-&amp;index</source>
        <translation>重新索引(&amp;I)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Open in default app</source>
        <translation>用默认程序打开(&amp;O)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show in &amp;folder</source>
        <translation>在文件夹中显示(&amp;F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Enter &amp;password…</source>
        <translation>输入密码(&amp;P)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show extracted &amp;text</source>
        <translation>查看提取的文字(&amp;T)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add files to the library (Ctrl+O)</source>
        <translation>向文档库添加文件（Ctrl+O）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>More</source>
        <translation>更多</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No documents yet.

Drop files or folders anywhere on this window,
or use Add files… (PDF, Word, Excel, PowerPoint, text).</source>
        <translation>还没有文档。

把文件或文件夹拖到窗口任意位置，
或点击“添加文件…”（PDF、Word、Excel、PowerPoint、文本）。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Add the sample documents</source>
        <translation>添加示例文档</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Index the example documents that come with QwenRAG, to try it out</source>
        <translation>为 QwenRAG 自带的示例文档建立索引，试用一下</translation>
    </message>
    <message>
        <location line="+82"/>
        <source>Looking for files…</source>
        <translation>正在查找文件…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Indexing: %1 of %2 files</source>
        <translation>正在索引：第 %1 个，共 %2 个文件</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Show files that were not added (%1)</source>
        <translation>显示未添加的文件（%1）</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Technical detail: %1</source>
        <translation>技术细节：%1</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Add files to the library</source>
        <translation>向文档库添加文件</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Add a folder to the library</source>
        <translation>向文档库添加文件夹</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Remove %1 from the library?</source>
        <translation>要从文档库移除 %1 吗？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove %1 document(s) from the library?</source>
        <translation>要从文档库移除 %1 个文档吗？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove from library</source>
        <translation>从文档库移除</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The files on your disk are not touched; you can add them again later.</source>
        <translation>磁盘上的文件不会被改动，以后可以重新添加。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../errors.py" line="+175"/>
        <source>QwenRAG — a problem</source>
        <translation>QwenRAG — 出现问题</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show details</source>
        <translation>显示详细信息</translation>
    </message>
    <message>
        <location line="-28"/>
        <location line="+30"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location line="-30"/>
        <location line="+30"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>The computer ran out of memory.</source>
        <translation>计算机内存不足。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A part of QwenRAG is missing: the module %1 could not be loaded. Reinstall QwenRAG.</source>
        <translation>QwenRAG 缺少一个组件：无法加载模块 %1。请重新安装 QwenRAG。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A file could not be read or written: %1</source>
        <translation>无法读写文件：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>QwenRAG ran into an internal error (a bug in QwenRAG, not a problem with your documents). Use “Copy details” and report it; your library is safe.</source>
        <translation>QwenRAG 遇到了内部错误（这是 QwenRAG 自身的缺陷，不是您文档的问题）。请点击“复制详细信息”并报告；您的文档库不受影响。</translation>
    </message>
    <message>
        <location line="+102"/>
        <source>The file could not be read.</source>
        <translation>无法读取该文件。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 of %2 files could not be read.</source>
        <translation>%2 个文件中有 %1 个无法读取。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="+113"/>
        <source>Demo model</source>
        <translation>演示模型</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Loading model %1…</source>
        <translation>正在加载模型 %1…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Model: %1</source>
        <translation>模型：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No model: %1</source>
        <translation>没有模型：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Model not loaded</source>
        <translation>模型未加载</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>This is a tiny demo model: its answers are poor. For real answers, get the Qwen model file %1 and put it into the models folder:
%2</source>
        <translation>这是一个很小的演示模型，回答质量较差。要获得可靠的回答，请获取 Qwen 模型文件 %1，并放入模型文件夹：
%2</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Get the Qwen model</source>
        <translation>获取 Qwen 模型</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open models folder</source>
        <translation>打开模型文件夹</translation>
    </message>
    <message>
        <location line="+165"/>
        <source>QwenRAG — ask your documents</source>
        <translation>QwenRAG — 向你的文档提问</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Documents</source>
        <translation>文档(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>How to get the &amp;Qwen model</source>
        <translation>如何获取 &amp;Qwen 模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open the &amp;models folder</source>
        <translation>打开模型文件夹(&amp;M)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;About QwenRAG</source>
        <translation>关于 QwenRAG(&amp;A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Re&amp;pair library</source>
        <translation>修复文档库(&amp;P)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rebuild the search index from the library; nothing you added is lost</source>
        <translation>从文档库重建搜索索引；已添加的内容不会丢失</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The chat is loading…</source>
        <translation>正在加载对话…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Conversations</source>
        <translation>对话</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Adding %1 item(s) to the library…</source>
        <translation>正在向文档库添加 %1 项…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Use this model?</source>
        <translation>使用这个模型？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Use %1 as the model for answers?</source>
        <translation>用 %1 作为回答问题的模型吗？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>It is checked and copied into the models folder (%1).</source>
        <translation>将先检查该文件，再复制到模型文件夹（%1）。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Checking %1…</source>
        <translation>正在检查 %1…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Copying %1 into the models folder: %2%</source>
        <translation>正在将 %1 复制到模型文件夹：%2%</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>Repairing the library…</source>
        <translation>正在修复文档库…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Repairing the library… %1%</source>
        <translation>正在修复文档库… %1%</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The library was repaired: %1 document(s) searchable.</source>
        <translation>文档库已修复：%1 个文档可供搜索。</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Another QwenRAG process is changing this library; waiting for it to finish…</source>
        <translation>另一个 QwenRAG 进程正在修改此资料库，正在等待它完成…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Removed from the library, no longer on disk: %1 file(s).</source>
        <translation>已从文档库移除磁盘上已不存在的文件：%1 个。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Indexing cancelled: %1 file(s) indexed.</source>
        <translation>索引已取消：已索引 %1 个文件。</translation>
    </message>
    <message>
        <location line="-5"/>
        <location line="+7"/>
        <source>%1 file(s) indexed; %2 could not be read.</source>
        <translation>已索引 %1 个文件；%2 个无法读取。</translation>
    </message>
    <message>
        <location line="-6"/>
        <location line="+8"/>
        <source>%1 file(s) indexed.</source>
        <translation>已索引 %1 个文件。</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>About QwenRAG</source>
        <translation>关于 QwenRAG</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>QwenRAG answers questions from your own documents, offline, and shows the passages each answer comes from.</source>
        <translation>QwenRAG 离线地根据你自己的文档回答问题，并列出每个回答所依据的段落。</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="-4"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answers</source>
        <translation>回答</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Interface</source>
        <translation>界面</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Read scanned pages and images (OCR)</source>
        <translation>识别扫描页和图片中的文字（OCR）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Applies to documents added from now on. Reading a scanned page takes a few seconds.</source>
        <translation>对此后添加的文档生效。识别一页扫描件需要几秒钟。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Model file:</source>
        <translation>模型文件：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Threads:</source>
        <translation>线程数：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Context size (tokens):</source>
        <translation>上下文长度（token）：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Temperature:</source>
        <translation>温度：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Passages per answer:</source>
        <translation>每次回答引用的段落数：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answer language:</source>
        <translation>回答语言：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Interface language:</source>
        <translation>界面语言：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choose a GGUF file…</source>
        <translation>选择 GGUF 文件…</translation>
    </message>
    <message>
        <location line="+66"/>
        <source>In use: %1 (%2)</source>
        <translation>使用中：%1（%2）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Choose a GGUF file</source>
        <translation>选择 GGUF 文件</translation>
    </message>
    <message>
        <location line="-71"/>
        <source>Automatic: the Qwen model in the models folder</source>
        <translation>自动：使用模型文件夹中的 Qwen 模型</translation>
    </message>
    <message>
        <location line="-122"/>
        <source>Qwen2.5-0.5B-Instruct on %1 cores, as measured (at most):</source>
        <translation>Qwen2.5-0.5B-Instruct 在 %1 核 CPU 上的实测成本（上限）：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1: %2 MB file, about %3 MB of memory, first word of an answer after about %4 s, then about %5 words per second</source>
        <translation>%1：文件 %2 MB，约占内存 %3 MB，约 %4 秒后出现回答的第一个字，之后每秒约 %5 个词</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>With 4 cores (Q4_K_M) expect the first word after about %1 s, with 8 cores after about %2 s.</source>
        <translation>使用 4 核 CPU（Q4_K_M）时约 %1 秒出现第一个字，8 核约 %2 秒。</translation>
    </message>
    <message>
        <location line="+116"/>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Lower is more literal; higher is more varied.</source>
        <translation>越低越贴近原文，越高越多样。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Same as the question</source>
        <translation>与提问相同</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>System language</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location line="+56"/>
        <source>No model file found.</source>
        <translation>没有找到模型文件。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>In use: the small demo model (%1).</source>
        <translation>当前使用：小型演示模型（%1）。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location filename="../document_dialogs.py" line="+35"/>
        <source>Enter password</source>
        <translation>输入密码</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>“%1” is password-protected. Enter its password to read it.

The password is used once, to open the file, and is not saved. The text read from the file becomes searchable in your library, and stays there without the password.</source>
        <translation>“%1”设有密码保护。请输入密码以读取它。

密码只用于这一次打开文件，不会被保存。从文件中读出的文字会在您的文档库中可供搜索，并且之后无需密码也会保留。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Open and index</source>
        <translation>打开并索引</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>Extracted text: %1</source>
        <translation>提取的文字：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Nothing from this file is in the library.</source>
        <translation>文档库中没有此文件的内容。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 passage(s), as the search sees them.</source>
        <translation>共 %1 段，即搜索所见的内容。</translation>
    </message>
</context>
<context>
    <name>AnswerCard</name>
    <message>
        <location filename="../chat_view.py" line="+259"/>
        <source>Written by a small demo model and not checked: the quotes above are the answer. For real answers choose a better model in Settings → Model.</source>
        <translation>以下文字由小型演示模型生成，未经核对：上面的引文才是答案。如需真正的回答，请在“设置 → 模型”中选择更好的模型。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The model&apos;s reply below is not backed by the passages it cites, so it is not the answer: the quotes above are what your documents say.</source>
        <translation>下面模型的回复没有得到其引用段落的支持，因此不作为答案：上面的引文才是您的文档所说的内容。</translation>
    </message>
    <message>
        <location line="+90"/>
        <source>Sources:</source>
        <translation>来源：</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Waiting for the model to finish loading…</source>
        <translation>正在等待模型加载完成…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Searching your documents…</source>
        <translation>正在搜索你的文档…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Thinking…</source>
        <translation>思考中…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Without document search</source>
        <translation>未搜索文档</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Not found in your documents</source>
        <translation>在你的文档中没有找到</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>None of your documents seems to answer this. These passages came closest:</source>
        <translation>你的文档中似乎没有这个问题的答案。最接近的段落如下：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>None of your documents seems to answer this. Try other words, or add the document that holds the answer.</source>
        <translation>你的文档中似乎没有这个问题的答案。请换个说法，或添加包含答案的文档。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy the answer and its sources</source>
        <translation>复制回答及其来源</translation>
    </message>
</context>
<context>
    <name>ChatPanel</name>
    <message>
        <location filename="../chat_panel.py" line="+206"/>
        <source>The model is not available.</source>
        <translation>模型不可用。</translation>
    </message>
    <message>
        <location line="+220"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop the answer (Esc)</source>
        <translation>停止回答（Esc）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send (Enter)</source>
        <translation>发送（Enter）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The model is loading…</source>
        <translation>模型加载中…</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+23"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Start a new conversation</source>
        <translation>开始新对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Search my documents</source>
        <translation>搜索我的文档</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Off: chat with the model alone, without your documents</source>
        <translation>关闭后：只与模型对话，不使用你的文档</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Ask about your documents…</source>
        <translation>就你的文档提问…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Chat with the model…</source>
        <translation>与模型对话…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Enter to send, Shift+Enter for a new line</source>
        <translation>Enter 发送，Shift+Enter 换行</translation>
    </message>
</context>
<context>
    <name>ConversationsPanel</name>
    <message>
        <location filename="../conversations_panel.py" line="+233"/>
        <source>Untitled conversation</source>
        <translation>未命名对话</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>1 question</source>
        <translation>1 个问题</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 questions</source>
        <translation>%1 个问题</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Today %1</source>
        <translation>今天 %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Yesterday %1</source>
        <translation>昨天 %1</translation>
    </message>
    <message>
        <location line="+99"/>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not found in your documents. The nearest passages:</source>
        <translation>在你的文档中没有找到。最接近的段落：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>(stopped)</source>
        <translation>（已停止）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>(without document search)</source>
        <translation>（未搜索文档）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Exported from QwenRAG on %1</source>
        <translation>于 %1 从 QwenRAG 导出</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Conversation</source>
        <translation>对话</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Delete conversation</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete “%1”? This cannot be undone.</source>
        <translation>删除“%1”？此操作无法撤销。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Export conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+11"/>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <location line="-10"/>
        <source>Export to Markdown…</source>
        <translation>导出为 Markdown…</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+9"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>Conversations</source>
        <translation>对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Start a new conversation</source>
        <translation>开始新对话</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Save the conversation with its sources as a Markdown file</source>
        <translation>把对话及其来源保存为 Markdown 文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No saved conversations yet. Your questions and answers are kept here.</source>
        <translation>还没有保存的对话。你的问题和回答会保存在这里。</translation>
    </message>
</context>
<context>
    <name>QuoteList</name>
    <message>
        <location filename="../source_list.py" line="+356"/>
        <source>Your documents say:</source>
        <translation>您的文档中写道：</translation>
    </message>
</context>
<context>
    <name>QuoteRow</name>
    <message>
        <location line="-43"/>
        <source>Open the source with this passage highlighted</source>
        <translation>打开原文并高亮这段文字</translation>
    </message>
</context>
<context>
    <name>Services</name>
    <message>
        <location filename="../services.py" line="+406"/>
        <source>No model file was found. Put %1 into the models folder.</source>
        <translation>没有找到模型文件。请把 %1 放入模型文件夹。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The model %1 could not be loaded.</source>
        <translation>无法加载模型 %1。</translation>
    </message>
</context>
<context>
    <name>SourceLabels</name>
    <message>
        <location filename="../source_label.py" line="+30"/>
        <source>p. %1 (%2)</source>
        <translation>第 %1 页（%2）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>p. %1</source>
        <translation>第 %1 页</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>slide %1</source>
        <translation>第 %1 张幻灯片</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>table %1</source>
        <translation>表 %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>¶%1</source>
        <translation>第 %1 段</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>row %1</source>
        <translation>第 %1 行</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>rows %1–%2</source>
        <translation>第 %1–%2 行</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>line %1</source>
        <translation>第 %1 行</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>lines %1–%2</source>
        <translation>第 %1–%2 行</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>, </source>
        <translation>，</translation>
    </message>
</context>
<context>
    <name>SourceList</name>
    <message>
        <location filename="../source_list.py" line="-35"/>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Passages searched</source>
        <translation>检索到的段落</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show 1 more passage</source>
        <translation>再显示 1 个段落</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show %1 more passages</source>
        <translation>再显示 %1 个段落</translation>
    </message>
</context>
<context>
    <name>SourceView</name>
    <message>
        <location filename="../source_view.py" line="+261"/>
        <source>Unknown document</source>
        <translation>未知文档</translation>
    </message>
    <message>
        <location line="+307"/>
        <source>Page %1 of %2</source>
        <translation>第 %1 页，共 %2 页</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The passage could not be marked on this page; its text is in the tooltip.</source>
        <translation>无法在此页上标出该段落；段落文字见提示信息。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The document has changed since this answer; the passage is shown as it was.</source>
        <translation>该文档在此回答之后已修改；段落按当时的内容显示。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Click a citation such as [1], or a source under an answer, to see the passage in its document.</source>
        <translation>点击 [1] 这样的引用，或回答下方的来源，即可在原文档中查看该段落。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The file is no longer at %1. The passage, as it was when indexed:</source>
        <translation>文件已不在 %1。以下是索引时的段落内容：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Opening %1…</source>
        <translation>正在打开 %1…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The file could not be opened. The passage, as it was when indexed:</source>
        <translation>无法打开该文件。以下是索引时的段落内容：</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Open in default app</source>
        <translation>用默认程序打开</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open the file in the program your computer uses for it</source>
        <translation>用计算机默认的程序打开此文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Previous page</source>
        <translation>上一页</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next page</source>
        <translation>下一页</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Fit width</source>
        <translation>适合宽度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Back to passage</source>
        <translation>回到段落</translation>
    </message>
</context>
<context>
    <name>Welcome</name>
    <message>
        <location filename="../chat_view.py" line="+35"/>
        <source>Ask a question about your documents</source>
        <translation>就你的文档提一个问题</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Each answer lists the passages of your documents it was found in: click one to see it in the document. Turn off document search to chat with the model alone.</source>
        <translation>每个回答都会列出它所依据的文档段落：点击即可在文档中查看。关闭文档搜索即可只与模型对话。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>For better answers, use Qwen2.5-0.5B-Instruct: in your web browser, download qwen2.5-0.5b-instruct-q4_k_m.gguf (398 MB) from Qwen&apos;s official GGUF repository on Hugging Face (huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF), then drop the file onto this window or choose it in Settings → Model. QwenRAG downloads nothing itself.</source>
        <translation>想要更好的回答，请使用 Qwen2.5-0.5B-Instruct：在网页浏览器中从 Qwen 在 Hugging Face 上的官方 GGUF 仓库（huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF）下载 qwen2.5-0.5b-instruct-q4_k_m.gguf（398 MB），然后把文件拖到本窗口，或在“设置 → 模型”中选择它。QwenRAG 本身不会下载任何内容。</translation>
    </message>
</context>
</TS>
