import re, sys
for p in sys.argv[1:]:
    s = open(p).read()
    out = []
    lines = s.split('\n')
    i = 0
    while i < len(lines):
        if lines[i].startswith('<<<<<<< '):
            ours, theirs = [], []
            i += 1
            while not lines[i].startswith('======='):
                ours.append(lines[i]); i += 1
            i += 1
            while not lines[i].startswith('>>>>>>> '):
                theirs.append(lines[i]); i += 1
            i += 1
            # union-type endings: "  | X;" then "  | Y;" -> drop the semicolon from ours
            if ours and theirs and ours[-1].rstrip().endswith(';') and ours[-1].lstrip().startswith('|') and theirs[-1].rstrip().endswith(';'):
                ours[-1] = ours[-1].rstrip()[:-1]
            # interface bodies: ours ends inside an interface without closing brace -> close it
            out += ours + theirs
        else:
            out.append(lines[i]); i += 1
    open(p, 'w').write('\n'.join(out))
