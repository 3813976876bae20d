import { describe, expect, it } from 'vitest';
import { nodeVersionProblem, requiredMajor } from './check-node.mjs';

describe('nodeVersionProblem', () => {
  it('refuses Node.js 20 and 22, naming the version found and the one needed', () => {
    const problem = nodeVersionProblem('v20.20.2');
    expect(problem).toContain('Node.js 24 LTS or newer');
    expect(problem).toContain('v20.20.2');
    expect(nodeVersionProblem('v22.12.0')).toContain('v22.12.0');
  });
  it('accepts the supported LTS and anything newer', () => {
    expect(requiredMajor).toBe(24);
    expect(nodeVersionProblem('v24.0.0')).toBeNull();
    expect(nodeVersionProblem('v26.1.0')).toBeNull();
  });
  it('refuses a version it cannot read', () => {
    expect(nodeVersionProblem('banana')).toContain('banana');
  });
});
