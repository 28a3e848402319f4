-- Neovim 0.7 as a real LSP client of vmsd-language-server (headless). Prints one line per
-- observation on stdout; exits 1 with a FAIL line on stderr when something is missing.
local server = vim.env.VMSD_SERVER
local file = vim.env.VMSD_FILE
local root = vim.env.VMSD_ROOT
local timeout = tonumber(vim.env.VMSD_TIMEOUT or '10000')
local function out(s) io.stdout:write(s .. '\n') end
local function fail(s) io.stderr:write('FAIL: ' .. s .. '\n'); vim.cmd('cquit 1') end

local id = vim.lsp.start_client({
  name = 'vmsd', cmd = { 'node', server, '--stdio' }, root_dir = root,
  flags = { debounce_text_changes = 0 },
})
if not id then fail('start_client returned nil') end
vim.cmd('edit ' .. file)
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = 'vmsd'
vim.lsp.buf_attach_client(buf, id)
local uri = vim.uri_from_bufnr(buf)

local function request(method, params)
  local res = vim.lsp.buf_request_sync(buf, method, params, timeout)
  for _, r in pairs(res or {}) do
    if r.err then fail(method .. ': ' .. vim.inspect(r.err)) end
    return r.result
  end
  fail(method .. ': no response')
end

local function find(pattern)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local c = l:find(pattern)
    if c then return i - 1, c - 1 end
  end
  fail('pattern not in buffer: ' .. pattern)
end

-- 1. Diagnostics: introduce an error and wait for it.
local line = find('    config: u64')
vim.api.nvim_buf_set_lines(buf, line, line + 1, false, { '    config: u65' })
if not vim.wait(timeout, function() return #vim.diagnostic.get(buf) > 0 end, 20) then fail('no diagnostics') end
for _, d in ipairs(vim.diagnostic.get(buf)) do
  out(string.format('DIAG %d:%d %s %s', d.lnum, d.col, d.code or '', d.message))
end
vim.api.nvim_buf_set_lines(buf, line, line + 1, false, { '    config: u64' })
if not vim.wait(timeout, function() return #vim.diagnostic.get(buf) == 0 end, 20) then fail('diagnostics not cleared') end
out('CLEARED')

-- 2. Hover on a field.
local l, c = find('num_timers: u8')
local h = request('textDocument/hover', { textDocument = { uri = uri }, position = { line = l, character = c + 2 } })
if not h then fail('no hover') end
out('HOVER ' .. h.contents.value:gsub('\n', ' | '))

-- 3. Completion in a type position.
vim.api.nvim_buf_set_lines(buf, l, l, false, { '    extra: ' })
local items = request('textDocument/completion', { textDocument = { uri = uri }, position = { line = l, character = 11 } })
local labels = {}
for _, it in ipairs(items.items or items) do table.insert(labels, it.label) end
table.sort(labels)
out('COMPLETION ' .. table.concat(labels, ','))
vim.api.nvim_buf_set_lines(buf, l, l + 1, false, {})

-- 4. Definition of a description used as a type.
local dl, dc = find('hpet_timer%[')
local def = request('textDocument/definition', { textDocument = { uri = uri }, position = { line = dl, character = dc + 3 } })
local loc = def[1] or def
out(string.format('DEFINITION %d:%d', loc.range.start.line, loc.range.start.character))

-- 5. Formatting: mangle a line, ask for the edits, apply them.
local fl = find('    isr: u64')
vim.api.nvim_buf_set_lines(buf, fl, fl + 1, false, { '    isr:u64' })
local edits = request('textDocument/formatting', { textDocument = { uri = uri }, options = { tabSize = 4, insertSpaces = true } })
vim.lsp.util.apply_text_edits(edits, buf, 'utf-16')
out('FORMATTED ' .. vim.api.nvim_buf_get_lines(buf, fl, fl + 1, false)[1])

vim.lsp.get_client_by_id(id).stop()
vim.cmd('qall!')
