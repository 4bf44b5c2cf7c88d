package netcfg

import "strings"

// Canonical rewrites the file in one layout without changing what
// ifupdown2 reads: statements start in column 1 with single blanks between
// words; options and the comments among them are indented with indent
// ("" means a tab, as Proxmox VE writes); backslash continuations are
// joined into one line; runs of blank lines become one, with none at the
// start or end of the file; lines end in "\n". Lines ifupdown2 cannot read
// ([BadLine]) and template code are kept as they are.
func (f *File) Canonical(indent string) {
	if indent == "" {
		indent = "\t"
	}
	var out []Stmt
	prevBlank := true // no blank lines at the start
	for _, st := range f.Stmts {
		n := st.stmtNode()
		switch st := st.(type) {
		case *Comment:
			if st.Text == "" {
				if prevBlank {
					continue
				}
				prevBlank = true
			} else {
				prevBlank = false
			}
			canon(n, "")
		case *BadLine:
			prevBlank = false // kept byte for byte
		case *Auto:
			prevBlank = false
			canon(n, "")
		case *Source:
			prevBlank = false
			canon(n, "")
		case *Stanza:
			prevBlank = false
			canon(n, "")
			var body []Entry
			blank := false
			for _, e := range st.Body {
				en := e.stmtNode()
				switch e := e.(type) {
				case *Comment:
					if e.Text == "" {
						if blank {
							continue
						}
						blank = true
					} else {
						blank = false
					}
					canon(en, indent)
				case *Option:
					blank = false
					if !e.Template {
						canon(en, indent)
					}
				case *BadLine:
					blank = false
				}
				body = append(body, e)
			}
			st.Body = body
		}
		out = append(out, st)
	}
	for len(out) > 0 {
		if c, ok := out[len(out)-1].(*Comment); ok && c.Text == "" {
			out = out[:len(out)-1]
			continue
		}
		break
	}
	f.Stmts = out
	f.lf = true
}

// canon makes a node write its regenerated text with indent and "\n".
func canon(n *node, indent string) {
	if strings.TrimSpace(n.raw) == "" && n.raw != "" {
		indent = "" // a blank line has no indentation
	}
	n.indent, n.raw = indent, ""
}
