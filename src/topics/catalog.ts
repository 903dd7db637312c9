// The topics readers can choose, as data. Each topic is a full-text definition over papers.search_vector:
// `any` lists web-search style queries (phrases in quotes, OR, -word) of which at least one must match;
// `none` lists queries that exclude a paper (other fields that share our words). No paper titles or ids here.
export interface TopicDefinition {
  slug: string;
  name: string;
  description: string;
  any: string[];
  none?: string[];
}

export const TOPICS: TopicDefinition[] = [
  {
    slug: "reasoning",
    name: "Reasoning & Chain-of-Thought",
    description: "How language models reason: chain-of-thought, step-by-step reasoning, decomposition.",
    any: ['"chain of thought"', '"chain-of-thought"', "CoT", '"step by step" reasoning', '"reasoning chain"', '"reasoning ability"', '"multi-step reasoning"', '"complex reasoning"', '"reasoning language model"', "decomposition question"],
  },
  {
    slug: "math",
    name: "Mathematical Reasoning",
    description: "Math word problems, competition math, theorem proving.",
    any: ['"mathematical reasoning" MATH', '"mathematical reasoning" GSM8K', '"mathematical reasoning problems"', '"mathematical reasoning abilities"', '"mathematical reasoning skills"', '"mathematical reasoning capabilities"', '"mathematical problem"', '"math word problem"', 'mathematical "problem solving"', '"theorem proving"', '"theorem prover"', '"math olympiad"', '"mathematical olympiad"', '"competition math"', '"competition mathematics"'],
  },
  {
    slug: "agents",
    name: "LLM Agents & Tool Use",
    description: "Agents acting in web, GUI and mobile environments; tool calling; agent training and planning.",
    any: ['"LLM agent"', '"language agent"', '"web agent"', '"GUI agent"', '"mobile agent"', '"tool use"', '"tool learning"', '"tool calling"', '"agentic"', '"autonomous agent"'],
  },
  {
    slug: "reinforcement-learning",
    name: "Reinforcement Learning",
    description: "RL algorithms and RL-based training: RLHF, policy optimization, deep RL.",
    any: ['"reinforcement learning"', 'RL', 'RLHF', '"policy optimization"', 'PPO', 'GRPO', '"policy gradient"', '"actor-critic"', '"Q-learning"'],
  },
  {
    slug: "reward-models",
    name: "Reward Models & Process Supervision",
    description: "Reward models, process reward models, step-level verifiers and judges.",
    any: ['"reward model"', '"process reward"', 'PRM', '"process supervision"', '"process-supervised"', '"outcome reward"', '"process feedback"', '"step-level verifier"', '"self-verification"', '"LLM-as-a-judge"', '"generative judge"'],
  },
  {
    slug: "continual-learning",
    name: "Continual & Lifelong Learning",
    description: "Catastrophic forgetting, incremental learning, continual pre-training.",
    any: ['"continual learning"', '"lifelong learning"', '"catastrophic forgetting"', '"incremental learning"', '"class-incremental"', '"continual pre-training"', '"continual pretraining"'],
  },
  {
    slug: "distillation",
    name: "Distillation & Small Models",
    description: "Knowledge distillation, dataset distillation, small language models.",
    any: ['distill -"distillation column" -chemical', '"teacher-student"', 'teacher student', '"small language model"', '"tiny language model"'],
  },
  {
    slug: "pretraining-data",
    name: "Pre-training & Training Data",
    description: "Data mixtures and selection, curricula, synthetic data, scaling laws.",
    any: ['"data selection"', '"data mixture"', '"data mixing"', '"pretraining data"', '"pretraining corpus"', '"synthetic data"', '"scaling law"', 'curriculum', '"data quality"', '"data filtering"', '"data curation"', '"mid-training"', '"data ablation"'],
  },
  {
    slug: "instruction-tuning",
    name: "Instruction Tuning & Alignment",
    description: "SFT, instruction following, preference optimization, alignment.",
    any: ['"instruction tuning"', '"instruction following"', '"instruction-tuned"', '"instruction data"', 'SFT', 'DPO', '"preference optimization"', '"preference alignment"'],
  },
  {
    slug: "diffusion",
    name: "Diffusion & Generative Vision",
    description: "Diffusion and flow models, image and video generation and editing.",
    any: ['"diffusion model"', '"text-to-image"', '"image generation"', '"video generation"', '"image editing"', '"flow matching"', '"latent diffusion"'],
    none: ['"heat diffusion"', '"graph diffusion"'],
  },
  {
    slug: "multimodal",
    name: "Vision-Language & Multimodal",
    description: "Vision-language models, multimodal LLMs, speech and audio with text.",
    any: ['"vision-language"', '"vision language model"', '"multimodal large language model"', 'MLLM', '"multimodal"', '"multi-modal"', '"cross-modal"', '"image-text"', '"visual instruction tuning"', "speech language model"],
  },
  {
    slug: "meta-learning",
    name: "Meta-Learning & Few-Shot",
    description: "Learning to learn, few-shot learning, in-context learning.",
    any: ['"meta-learning"', '"meta learning"', '"meta-learner"', '"meta-training"', '"meta-gradient"', 'metagradient', '"meta-policy"', '"meta-optimization"', '"meta-reinforcement learning"', '"fast adaptation"', '"few-shot class-incremental"', '"in-context learning"'],
  },
  {
    slug: "efficiency",
    name: "Efficient Training & Inference",
    description: "Speculative decoding, pruning, model growth, compute-efficient training.",
    any: ['"speculative decoding"', '"model growth"', 'speedup', 'throughput', '"inference speed"', '"inference acceleration"', 'quantization', 'pruning -"data pruning"', '"one-step"', '"few-step"', '"step distillation"', '"consistency distillation"', '"sampling speed"', '"cost-effective"', '"parameter-efficient"', 'MoE', '"faster convergence"', '"faster training"', 'latency', '"training cost"', '"training efficiency"', '"computationally expensive"', '"on-device"', '"mobile devices"'],
  },
  {
    slug: "surveys",
    name: "Surveys & Overviews",
    description: "The paper is itself a survey, review or roadmap.",
    any: ['"this survey"', '"a survey"', '"comprehensive survey"', '"systematic review"', '"we review"', "roadmap", "overview"],
  },
];
