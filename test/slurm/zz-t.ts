import { execa } from 'execa';
const p = execa('x', ['a'], { stdin: 'ignore' as const });
void p;
