using System.Diagnostics;
using ArtifactCache.Fuzz;

return FuzzCommand.Execute(args);

namespace ArtifactCache.Fuzz
{
    /// <summary>The command line: options, the run loop, findings and the report.</summary>
    public static class FuzzCommand
    {
        private const string Usage = """
            ArtifactCache.Fuzz: differential soundness fuzzer for ArtifactCache.Build.

              --seed N            seed to draw scenarios from (repeatable; default: 1)
              --minutes M         run scenarios for about M minutes
              --scenarios K       run K scenarios (default: 1 when neither --minutes nor --scenarios is given)
              --task-assembly P   ArtifactCache.Build.dll to test (default: build src/ArtifactCache.Build in Release)
              --repo-root DIR     the checkout whose build/ files and samples/ are used (default: this repository)
              --corpus DIR        replay every *.json case in DIR (no random scenarios unless --minutes/--scenarios)
              --replay CASE       replay one encoded case (as printed with a finding)
              --plan              print the cases the seeds draw (or the --replay case as JSON), without building
              --findings DIR      where to write the JSON case of each wrong hit (default: fuzz/findings)
              --no-shrink         report wrong hits without shrinking them
              --keep              keep the work folders
              --verbose           print each build
            Exit code: 0 when comparisons were made and no hit was wrong; 1 on a wrong hit; 2 when nothing was compared.
            """;

        public static int Execute(string[] args)
        {
            FuzzOptions options;
            try
            {
                options = FuzzOptions.Parse(args);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                Console.Error.WriteLine(Usage);
                return 64;
            }

            if (options.Help)
            {
                Console.WriteLine(Usage);
                return 0;
            }

            if (options.Plan)
            {
                if (options.Replay is not null)
                {
                    Console.WriteLine(FuzzCase.Decode(options.Replay).ToJson());
                    return 0;
                }

                foreach (var fuzzCase in RandomCases(options).Take(options.Scenarios ?? 20))
                {
                    Console.WriteLine(fuzzCase.Describe());
                }

                return 0;
            }

            var repoRoot = options.RepoRoot ?? FindRepoRoot();
            var taskAssembly = options.TaskAssembly ?? BuildTaskAssembly(repoRoot);
            Console.WriteLine($"task assembly: {taskAssembly}");
            Console.WriteLine($"build files:   {Path.Combine(repoRoot, "build")}");
            var session = new FuzzSession(new ScenarioRunner(repoRoot, Snapshot(taskAssembly), options.Keep, options.Verbose ? Console.WriteLine : _ => { }), options);
            return session.Run();
        }

        /// <summary>Cases drawn from the seeds in turn: scenario i of a run uses seed i mod n, index i div n.</summary>
        public static IEnumerable<FuzzCase> RandomCases(FuzzOptions options)
        {
            var seeds = options.Seeds.Count > 0 ? options.Seeds : [1];
            for (var i = 0; ; i++)
            {
                yield return Planner.Draw(seeds[i % seeds.Count], i / seeds.Count);
            }
        }

        public static string FindRepoRoot()
        {
            foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            {
                for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
                {
                    if (File.Exists(Path.Combine(folder.FullName, "ArtifactCache.Build.sln")))
                    {
                        return folder.FullName;
                    }
                }
            }

            throw new InvalidOperationException("Cannot find the repository (ArtifactCache.Build.sln) above the current folder; pass --repo-root.");
        }

        private static string BuildTaskAssembly(string repoRoot)
        {
            Console.WriteLine("building src/ArtifactCache.Build (Release)...");
            var start = new ProcessStartInfo("dotnet", ["build", Path.Combine(repoRoot, "src", "ArtifactCache.Build"), "-c", "Release", "-nr:false", "-v:q", "-nologo"])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException("building src/ArtifactCache.Build failed:\n" + output + error.Result);
            }

            return Directory.EnumerateFiles(Path.Combine(repoRoot, "src", "ArtifactCache.Build", "bin", "Release"), "ArtifactCache.Build.dll", SearchOption.AllDirectories).First();
        }

        // A copy of the task assembly's folder, so a rebuild during a long run cannot change the code under test.
        private static string Snapshot(string taskAssembly)
        {
            var folder = Directory.CreateTempSubdirectory("acb-fuzz-task-").FullName;
            foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(Path.GetFullPath(taskAssembly))!))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }

            return Path.Combine(folder, Path.GetFileName(taskAssembly));
        }
    }

    /// <summary>Parsed command-line options.</summary>
    public sealed class FuzzOptions
    {
        public List<int> Seeds { get; } = [];

        public double? Minutes { get; private set; }

        public int? Scenarios { get; private set; }

        public string? TaskAssembly { get; private set; }

        public string? RepoRoot { get; private set; }

        public string? Corpus { get; private set; }

        public string? Replay { get; private set; }

        public string? Findings { get; private set; }

        public bool Plan { get; private set; }

        public bool NoShrink { get; private set; }

        public bool Keep { get; private set; }

        public bool Verbose { get; private set; }

        public bool Help { get; private set; }

        public static FuzzOptions Parse(string[] args)
        {
            var options = new FuzzOptions();
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--seed": options.Seeds.Add(int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture)); break;
                    case "--minutes": options.Minutes = double.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--scenarios": options.Scenarios = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--task-assembly": options.TaskAssembly = Path.GetFullPath(Value()); break;
                    case "--repo-root": options.RepoRoot = Path.GetFullPath(Value()); break;
                    case "--corpus": options.Corpus = Path.GetFullPath(Value()); break;
                    case "--replay": options.Replay = Value(); break;
                    case "--findings": options.Findings = Path.GetFullPath(Value()); break;
                    case "--plan": options.Plan = true; break;
                    case "--no-shrink": options.NoShrink = true; break;
                    case "--keep": options.Keep = true; break;
                    case "--verbose": options.Verbose = true; break;
                    case "--help" or "-h": options.Help = true; break;
                    default: throw new ArgumentException($"Unknown option {args[i]}.");
                }
            }

            return options;
        }
    }
}
